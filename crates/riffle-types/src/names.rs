//! Names and identifiers: stream names, shard ids and stream ARNs.

use std::fmt;

/// A validated stream name: 1 to 128 characters of `[a-zA-Z0-9_.-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(String);

impl StreamName {
    pub fn is_valid(s: &str) -> bool {
        (1..=128).contains(&s.len()) && s.bytes().all(is_name_byte)
    }

    pub fn new(s: &str) -> Option<Self> {
        Self::is_valid(s).then(|| StreamName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[a-zA-Z0-9_.-]`, the character class of stream, consumer and shard names.
pub fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

/// A shard id, `shardId-` followed by the 12-digit zero-padded shard index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(pub u32);

impl ShardId {
    /// Parses `shardId-000000000007` (and, as AWS does, a shorter or unpadded number after the
    /// prefix). `None` if it is not of that form.
    pub fn parse(s: &str) -> Option<ShardId> {
        let digits = s.strip_prefix("shardId-")?;
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u64>().ok().and_then(|v| u32::try_from(v).ok()).map(ShardId)
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shardId-{:012}", self.0)
    }
}

/// The parts of a Kinesis stream ARN: `arn:<partition>:kinesis:<region>:<account>:stream/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl StreamArn {
    pub fn new(region: &str, account: &str, name: &str) -> Self {
        StreamArn { partition: "aws".into(), region: region.into(), account: account.into(), name: name.into() }
    }

    /// Parses a stream ARN; `None` when it is not one (a consumer ARN is not a stream ARN).
    pub fn parse(s: &str) -> Option<StreamArn> {
        let mut parts = s.splitn(6, ':');
        let (arn, partition, service, region, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if arn != "arn" || !partition.starts_with("aws") || service != "kinesis" {
            return None;
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || region.is_empty() {
            return None;
        }
        let name = resource.strip_prefix("stream/")?;
        if !StreamName::is_valid(name) {
            return None;
        }
        Some(StreamArn {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
            name: name.into(),
        })
    }
}

impl fmt::Display for StreamArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:kinesis:{}:{}:stream/{}", self.partition, self.region, self.account, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names() {
        assert!(StreamName::is_valid("a"));
        assert!(StreamName::is_valid("Ab_9.-"));
        assert!(!StreamName::is_valid(""));
        assert!(!StreamName::is_valid("a b"));
        assert!(!StreamName::is_valid(&"a".repeat(129)));
    }

    #[test]
    fn shard_ids() {
        assert_eq!(ShardId(7).to_string(), "shardId-000000000007");
        assert_eq!(ShardId::parse("shardId-000000000007"), Some(ShardId(7)));
        assert_eq!(ShardId::parse("shardId-7"), Some(ShardId(7)));
        assert_eq!(ShardId::parse("shard-7"), None);
        assert_eq!(ShardId::parse("shardId-"), None);
    }

    #[test]
    fn arns() {
        let a = StreamArn::parse("arn:aws:kinesis:us-east-1:123456789012:stream/s1").unwrap();
        assert_eq!(a.name, "s1");
        assert_eq!(a.to_string(), "arn:aws:kinesis:us-east-1:123456789012:stream/s1");
        assert!(StreamArn::parse("arn:aws:kinesis:us-east-1:1234:stream/s1").is_none());
        assert!(StreamArn::parse("arn:aws:kinesis:us-east-1:123456789012:stream/s1/consumer/c:1").is_none());
    }
}
