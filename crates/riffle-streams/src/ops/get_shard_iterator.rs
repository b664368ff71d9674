//! GetShardIterator: a sealed, expiring position in a shard.

use std::sync::Arc;

use riffle_log::ShardKey;
use riffle_meta::{ShardRecord, StreamKey};
use riffle_types::{SequenceNumber, ShardId};
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{GetShardIteratorInput, GetShardIteratorOutput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::shard_map::resolve_shard_id;
use crate::token::IteratorToken;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: GetShardIteratorInput,
) -> Result<GetShardIteratorOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let Some(index) = resolve_shard_id(&input.shard_id) else {
        return Err(StreamsError::ShardUnparseable { shard: input.shard_id, name: key.name, account: key.account });
    };
    let shard_id = ShardId(index).to_string();
    let not_found = || StreamsError::ShardNotFound {
        shard: shard_id.clone(),
        name: key.name.clone(),
        account: key.account.clone(),
    };
    let (uid, shard) = {
        let catalog = svc.catalog.read().expect("catalog lock");
        let s = catalog.get(&key).ok_or_else(not_found)?;
        let shard = s.shards.iter().find(|x| x.index == index).cloned().ok_or_else(not_found)?;
        (s.uid, shard)
    };
    let counter = position(
        &svc,
        &key,
        &shard,
        uid,
        &input.shard_iterator_type,
        input.starting_sequence_number.as_deref(),
        input.timestamp.map(|t| t.0),
    )?;
    let token = IteratorToken {
        created_ms: svc.now_ms(),
        stream_uid: uid,
        account: key.account,
        region: key.region,
        stream_name: key.name,
        shard: index,
        counter,
    };
    Ok(GetShardIteratorOutput { shard_iterator: token.encode(&svc.sealer) })
}

/// The counter a starting position points at in `shard` (GetShardIterator and
/// SubscribeToShard share it), with AWS's checks and messages.
pub(crate) fn position(
    svc: &StreamsService,
    key: &StreamKey,
    shard: &ShardRecord,
    uid: u64,
    kind_owned: &str,
    starting_sequence_number: Option<&str>,
    timestamp: Option<i64>,
) -> Result<u64> {
    let index = shard.index;
    let shard_id = ShardId(index).to_string();
    let kind = kind_owned;
    let must = |what: &str| {
        StreamsError::InvalidArgument(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {kind} and {what}."
        ))
    };
    let log_key = ShardKey { stream: uid, shard: index };
    let tip = svc.log.tip(log_key).map_or(1, |t| t.next_counter);
    let counter = match kind {
        "TRIM_HORIZON" | "LATEST" => {
            if starting_sequence_number.is_some() {
                return Err(must("also a StartingSequenceNumber"));
            }
            if kind == "TRIM_HORIZON" { 0 } else { tip }
        }
        "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER" => {
            let Some(seq) = starting_sequence_number else {
                return Err(must("no StartingSequenceNumber"));
            };
            let invalid = |why: &str| {
                StreamsError::InvalidArgument(format!(
                    "StartingSequenceNumber {seq} used in GetShardIterator on shard {shard_id} in stream {} under account {} is invalid{why}.",
                    key.name, key.account
                ))
            };
            let n = SequenceNumber::parse(seq).ok_or_else(|| invalid(""))?;
            if n.shard_index != index {
                return Err(StreamsError::InvalidArgument(format!(
                    "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {shard_id}",
                    ShardId(n.shard_index)
                )));
            }
            if n.shard_created_secs != (shard.created_ms / 1000) as u64 {
                return Err(invalid(" because it did not come from this stream"));
            }
            if kind == "AT_SEQUENCE_NUMBER" { n.counter } else { n.counter.saturating_add(1) }
        }
        _ => {
            // AT_TIMESTAMP: the schema admits no other value.
            let Some(ts) = timestamp else {
                return Err(StreamsError::InvalidArgument(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter."
                        .into(),
                ));
            };
            let now = svc.now_ms();
            if ts > now {
                return Err(StreamsError::InvalidArgument(format!(
                    "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {}, currentTimestampInMillis: {now}",
                    ts
                )));
            }
            svc.log.counter_at_time(log_key, ts, tip)
        }
    };
    Ok(counter)
}
