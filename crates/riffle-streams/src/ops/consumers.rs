//! What the consumer operations share: consumer ARNs, finding a consumer by ARN or by stream
//! and name, and the consumer shapes.

use riffle_meta::{ConsumerRecord, StreamKey, StreamRecord, StreamStatus};
use riffle_types::names::StreamArn;
use riffle_wire::model::kinesis::{Consumer, ConsumerRef};
use riffle_wire::types::Timestamp;

use crate::error::{Result, StreamsError};

/// Consumers a stream may have.
pub const MAX_CONSUMERS: usize = 20;
/// Consumers that may be CREATING at once in a stream.
pub const MAX_CREATING: usize = 5;

/// `arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<creation epoch s>`.
pub fn consumer_arn(stream: &StreamKey, name: &str, created_ms: i64) -> String {
    format!("{}/consumer/{name}:{}", StreamArn::new(&stream.region, &stream.account, &stream.name), created_ms / 1000)
}

/// The stream and consumer name a consumer ARN names.
pub fn parse_consumer_arn(arn: &str) -> Option<(StreamKey, String)> {
    let (stream_part, consumer) = arn.split_once("/consumer/")?;
    let (name, _) = consumer.rsplit_once(':')?;
    let s = StreamArn::parse(stream_part)?;
    Some((StreamKey { account: s.account, region: s.region, name: s.name }, name.to_string()))
}

/// The stream and consumer name a request names, by ConsumerARN or StreamARN + ConsumerName.
pub fn resolve(r: &ConsumerRef) -> Result<(StreamKey, String)> {
    if let Some(arn) = &r.consumer_arn {
        return parse_consumer_arn(arn)
            .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid ConsumerARN {arn}.")));
    }
    match (&r.stream_arn, &r.consumer_name) {
        (Some(stream), Some(name)) => {
            let s = StreamArn::parse(stream)
                .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid StreamARN {stream}.")))?;
            Ok((StreamKey { account: s.account, region: s.region, name: s.name }, name.clone()))
        }
        _ => Err(StreamsError::InvalidArgument(
            "Either ConsumerARN or both StreamARN and ConsumerName must be provided.".into(),
        )),
    }
}

/// The consumer `name` of `s`, when the ARN (if given) also matches its creation.
pub fn find<'a>(s: &'a StreamRecord, name: &str, arn: Option<&str>) -> Result<&'a ConsumerRecord> {
    s.consumers.iter().find(|c| c.name == name && arn.is_none_or(|a| a == c.arn)).ok_or_else(|| {
        StreamsError::NotFound(format!(
            "Consumer {name} under stream {} under account {} not found.",
            s.key.name, s.key.account
        ))
    })
}

pub fn shape(c: &ConsumerRecord) -> Consumer {
    Consumer {
        consumer_name: c.name.clone(),
        consumer_arn: c.arn.clone(),
        consumer_status: c.status.as_str(),
        consumer_creation_timestamp: Timestamp(c.created_ms),
    }
}

/// Consumers are ACTIVE, CREATING or DELETING; never UPDATING.
pub fn is_active(c: &ConsumerRecord) -> bool {
    c.status == StreamStatus::Active
}
