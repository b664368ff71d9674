//! What PutRecord and PutRecords share: resolving the target stream, checking records against
//! the stream's limits, routing them to shards, admitting them through the shards' write
//! limits, and appending them through group commit.

use std::sync::Arc;

use bytes::Bytes;
use riffle_log::{LogError, RecordIn, ShardAppend, ShardKey};
use riffle_meta::{ShardRecord, StreamKey, StreamRecord, StreamStatus};
use riffle_types::ShardId;
use riffle_types::hash::{parse_hash_key, partition_hash};
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::StreamRef;

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::shard_map::{self, Router};

/// One record to write.
pub struct Incoming {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Bytes,
}

/// What became of one record.
pub enum Outcome {
    /// Written: where it landed, and whether its data was encrypted at rest.
    Placed { shard_id: String, sequence_number: String, encrypted: bool },
    /// Refused by the shard's write limit; nothing was written.
    Throttled { shard_id: String },
}

/// Largest PutRecords request (data and partition keys) for a stream with the default 1 MiB
/// record size; streams with larger records allow one record's worth, up to 10 MiB.
pub const MAX_REQUEST_BYTES: usize = 5 << 20;

/// How often a put re-routes after racing a reshard (2 ms apart).
const RESHARD_RETRIES: u32 = 1000;

/// Where each record goes: into batch `b` at position `i`, or refused on a shard.
enum Slot {
    Batch(usize, usize),
    Throttled(u32),
}

struct Plan {
    /// The shard of each batch, for sequence numbers.
    shards: Vec<ShardRecord>,
    /// How many records each batch holds (the batches move into the log).
    batches_len: Vec<usize>,
    encrypted: bool,
    batches: Vec<ShardAppend>,
    slots: Vec<Slot>,
}

/// Writes records to one stream. Returns the stream and each record's outcome, in order.
pub async fn put(
    svc: &Arc<StreamsService>,
    ctx: &RequestContext,
    stream: &StreamRef,
    records: Vec<Incoming>,
) -> Result<(StreamKey, Vec<Outcome>)> {
    let key: StreamKey = svc.stream_key(ctx, stream)?;
    let mut attempt = 0;
    loop {
        let mut plan = svc.read_stream(&key, |s| plan(svc, s, &key, &records))?;
        plan.batches_len = plan.batches.iter().map(|b| b.records.len()).collect();
        let appended = if plan.batches.is_empty() {
            Vec::new()
        } else {
            match svc.log.append(std::mem::take(&mut plan.batches)).await {
                Ok(a) => a,
                // A reshard sealed one of the shards after we routed: nothing was written, so
                // route again once the catalog shows the children.
                Err(LogError::ShardSealed(_)) if attempt < RESHARD_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Each batch's sequence numbers at once: consecutive counters, one record time.
        let mut numbers: Vec<Vec<String>> = plan
            .shards
            .iter()
            .zip(&appended)
            .zip(&plan.batches_len)
            .map(|((shard, a), n)| shard_map::sequence_numbers(shard, a.first_counter, a.arrival_ms, *n))
            .collect();
        let outcomes = plan
            .slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Batch(b, i) => Outcome::Placed {
                    encrypted: plan.encrypted,
                    shard_id: ShardId(plan.shards[b].index).to_string(),
                    sequence_number: std::mem::take(&mut numbers[b][i]),
                },
                Slot::Throttled(index) => Outcome::Throttled { shard_id: ShardId(index).to_string() },
            })
            .collect();
        return Ok((key, outcomes));
    }
}

/// Checks sizes, routes every record and admits it through its shard's write limits.
fn plan(svc: &StreamsService, s: &StreamRecord, key: &StreamKey, records: &[Incoming]) -> Result<Plan> {
    if !matches!(s.status, StreamStatus::Active | StreamStatus::Updating) {
        return Err(StreamsService::not_found(key));
    }
    let max_record = s.max_record_size_kib as usize * 1024;
    let mut total = 0usize;
    for r in records {
        // The record size limit covers the partition key and the data together.
        let size = r.data.len() + r.partition_key.len();
        if size > max_record {
            return Err(StreamsError::InvalidArgument(format!(
                "Record size of {size} bytes (partition key and data) exceeds the maximum record size of {max_record} bytes for stream {} under account {}.",
                key.name, key.account
            )));
        }
        total += size;
    }
    let max_request = MAX_REQUEST_BYTES.max(max_record);
    if total > max_request {
        return Err(StreamsError::InvalidArgument(format!(
            "Records size exceeds {max_request} bytes limit. The size of the records in the request, including partition keys, is {total} bytes."
        )));
    }
    let router = Router::new(s);
    let mut routed = Vec::with_capacity(records.len());
    for r in records {
        let hash = match &r.explicit_hash_key {
            Some(h) => parse_hash_key(h).ok_or_else(|| {
                StreamsError::InvalidArgument(format!(
                    "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {h}"
                ))
            })?,
            None => partition_hash(&r.partition_key),
        };
        let shard = router.route(hash);
        routed.push((ShardKey { stream: s.uid, shard: shard.index }, r.data.len() + r.partition_key.len()));
    }
    let admitted = svc.limits.admit_writes(&routed);
    let key_id = s.encryption_key_id.as_deref();
    let label = key_id.map(|k| Bytes::copy_from_slice(k.as_bytes()));
    let mut plan = Plan {
        shards: Vec::new(),
        batches_len: Vec::new(),
        encrypted: key_id.is_some(),
        batches: Vec::new(),
        slots: Vec::with_capacity(records.len()),
    };
    for ((r, (shard_key, _)), ok) in records.iter().zip(&routed).zip(admitted) {
        if !ok {
            plan.slots.push(Slot::Throttled(shard_key.shard));
            continue;
        }
        let b = match plan.batches.iter().position(|b| b.key == *shard_key) {
            Some(b) => b,
            None => {
                plan.batches.push(ShardAppend { key: *shard_key, records: Vec::new(), label: label.clone() });
                let shard = s.shards.iter().find(|x| x.index == shard_key.shard).expect("routed shard exists");
                plan.shards.push(shard.clone());
                plan.batches.len() - 1
            }
        };
        plan.slots.push(Slot::Batch(b, plan.batches[b].records.len()));
        plan.batches[b].records.push(RecordIn {
            partition_key: Bytes::copy_from_slice(r.partition_key.as_bytes()),
            data: match key_id {
                Some(k) => svc.keyring.encrypt(k, s.uid, &r.data),
                None => r.data.clone(),
            },
        });
    }
    Ok(plan)
}
