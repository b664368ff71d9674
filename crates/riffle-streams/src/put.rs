//! What PutRecord and PutRecords share: resolving the target stream, checking records against
//! the stream's limits, routing them to shards and appending them through group commit.

use std::sync::Arc;

use bytes::Bytes;
use riffle_log::{LogError, RecordIn, ShardAppend, ShardKey};
use riffle_meta::{StreamKey, StreamStatus};
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

/// Where a record landed.
pub struct Placed {
    pub shard_id: String,
    pub sequence_number: String,
}

/// Largest PutRecords request (data and partition keys) for a stream with the default 1 MiB
/// record size; streams with larger records allow one record's worth, up to 10 MiB.
pub const MAX_REQUEST_BYTES: usize = 5 << 20;

/// How often a put re-routes after racing a reshard (2 ms apart).
const RESHARD_RETRIES: u32 = 1000;

/// Writes records to one stream and returns where each landed, in input order.
pub async fn put(
    svc: &Arc<StreamsService>,
    ctx: &RequestContext,
    stream: &StreamRef,
    records: Vec<Incoming>,
) -> Result<Vec<Placed>> {
    let key: StreamKey = svc.stream_key(ctx, stream)?;
    let mut attempt = 0;
    loop {
        // Route under the catalog's read lock; remember what sequence numbers need.
        let (shards, slots, batches) = svc.read_stream(&key, |s| {
        if !matches!(s.status, StreamStatus::Active | StreamStatus::Updating) {
            return Err(StreamsService::not_found(&key));
        }
        let max_record = s.max_record_size_kib as usize * 1024;
        let mut total = 0usize;
        for r in &records {
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
        let mut batches: Vec<ShardAppend> = Vec::new();
        let mut slots = Vec::with_capacity(records.len());
        for r in &records {
            let hash = match &r.explicit_hash_key {
                Some(h) => parse_hash_key(h).ok_or_else(|| {
                    StreamsError::InvalidArgument(format!(
                        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {h}"
                    ))
                })?,
                None => partition_hash(&r.partition_key),
            };
            let shard = router.route(hash);
            let b = match batches.iter().position(|b| b.key.shard == shard.index) {
                Some(b) => b,
                None => {
                    batches.push(ShardAppend { key: ShardKey { stream: s.uid, shard: shard.index }, records: Vec::new() });
                    batches.len() - 1
                }
            };
            slots.push((b, batches[b].records.len()));
            batches[b].records.push(RecordIn {
                partition_key: Bytes::from(r.partition_key.clone().into_bytes()),
                data: r.data.clone(),
            });
        }
        let shards: Vec<_> = batches
            .iter()
            .map(|b| s.shards.iter().find(|x| x.index == b.key.shard).cloned().expect("routed shard exists"))
            .collect();
        Ok((shards, slots, batches))
    })?;
        let appended = match svc.log.append(batches).await {
            Ok(a) => a,
            // A reshard sealed one of the shards after we routed: nothing was written, so route
            // again once the catalog shows the children.
            Err(LogError::ShardSealed(_)) if attempt < RESHARD_RETRIES => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        return Ok(slots
            .into_iter()
            .map(|(b, i)| {
                let a = appended[b];
                Placed {
                    shard_id: riffle_types::ShardId(shards[b].index).to_string(),
                    sequence_number: shard_map::sequence_number(
                        &shards[b],
                        a.first_counter + i as u64,
                        a.arrival_ms,
                    ),
                }
            })
            .collect());
    }
}
