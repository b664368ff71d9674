//! The open shards of a stream and the hash-key range each owns, to predict where a record
//! will land (the KPL's shard map).

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::Shard;

use crate::Error;

/// One open shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRange {
    pub shard_id: String,
    pub start: u128,
    pub end: u128,
}

/// The open shards of a stream, sorted by the start of their hash-key ranges.
#[derive(Debug, Clone, Default)]
pub struct ShardMap {
    shards: Vec<ShardRange>,
}

impl ShardMap {
    pub fn new(mut shards: Vec<ShardRange>) -> Self {
        shards.sort_by_key(|s| s.start);
        ShardMap { shards }
    }

    /// Lists the stream's open shards.
    pub async fn load(client: &Client, stream: &str) -> Result<ShardMap, Error> {
        let mut shards = Vec::new();
        for s in list_shards(client, stream).await? {
            let open = s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none());
            let Some(range) = s.hash_key_range() else { continue };
            if open {
                let parse = |h: &str| h.parse().map_err(|_| Error::Protocol(format!("bad hash key {h}")));
                shards.push(ShardRange {
                    shard_id: s.shard_id().to_string(),
                    start: parse(range.starting_hash_key())?,
                    end: parse(range.ending_hash_key())?,
                });
            }
        }
        Ok(ShardMap::new(shards))
    }

    /// The shard owning `hash`, if the map covers it.
    pub fn shard_for(&self, hash: u128) -> Option<&ShardRange> {
        let i = self.shards.partition_point(|s| s.start <= hash);
        self.shards[..i].last().filter(|s| hash <= s.end)
    }

    pub fn shards(&self) -> &[ShardRange] {
        &self.shards
    }
}

/// Every shard of a stream, open and closed, from all pages of ListShards.
pub async fn list_shards(client: &Client, stream: &str) -> Result<Vec<Shard>, Error> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = req.send().await.map_err(Error::from_sdk)?;
        shards.extend(out.shards().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(shards);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_owner_of_a_hash() {
        let map = ShardMap::new(vec![
            ShardRange { shard_id: "b".into(), start: 100, end: u128::MAX },
            ShardRange { shard_id: "a".into(), start: 0, end: 99 },
        ]);
        assert_eq!(map.shard_for(0).unwrap().shard_id, "a");
        assert_eq!(map.shard_for(99).unwrap().shard_id, "a");
        assert_eq!(map.shard_for(100).unwrap().shard_id, "b");
        assert_eq!(map.shard_for(u128::MAX).unwrap().shard_id, "b");
        assert!(ShardMap::default().shard_for(5).is_none());
    }
}
