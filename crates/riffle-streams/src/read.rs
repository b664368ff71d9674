//! Reading a page of a shard, shared by GetRecords and SubscribeToShard: records at or after a
//! counter (skipping those past retention), decrypted when they were written encrypted, with
//! the next position, whether a closed shard is finished, and how far behind the tip it is.

use std::sync::Arc;

use riffle_log::ShardKey;
use riffle_meta::{ShardRecord, StreamKey, StreamRecord};
use riffle_types::ShardId;
use riffle_wire::model::kinesis::{ChildShard, HashKeyRange, Record};
use riffle_wire::types::{Blob, Text, Timestamp};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::shard_map;

/// One read.
pub(crate) struct Page {
    pub records: Vec<Record>,
    /// The counter to read from next.
    pub next: u64,
    /// The shard is closed and nothing is left to read in it.
    pub finished: bool,
    pub millis_behind_latest: i64,
    /// Data plus partition-key bytes returned, for read limits.
    pub bytes: usize,
}

/// The children of shard `index`, as ChildShards shows them.
pub(crate) fn child_shards(s: &StreamRecord, index: u32) -> Vec<ChildShard> {
    s.shards
        .iter()
        .filter(|c| c.parent == Some(index) || c.adjacent_parent == Some(index))
        .map(|c| ChildShard {
            shard_id: ShardId(c.index).to_string(),
            parent_shards: c.parent.iter().chain(c.adjacent_parent.iter()).map(|p| ShardId(*p).to_string()).collect(),
            hash_key_range: HashKeyRange {
                starting_hash_key: c.start_hash.to_string(),
                ending_hash_key: c.end_hash.to_string(),
            },
        })
        .collect()
}

/// Reads up to `limit` records and about `max_bytes` from `from` in `shard` of stream `uid`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_page(
    svc: &Arc<StreamsService>,
    key: &StreamKey,
    uid: u64,
    shard: &ShardRecord,
    retention_ms: i64,
    from: u64,
    limit: usize,
    max_bytes: usize,
) -> Result<Page> {
    let now = svc.now_ms();
    let log_key = ShardKey { stream: uid, shard: shard.index };
    let log = svc.log.clone();
    let min_arrival = now - retention_ms;
    let stored = tokio::task::spawn_blocking(move || log.read(log_key, from, min_arrival, limit, max_bytes))
        .await
        .map_err(|_| StreamsError::Log(riffle_log::LogError::Closed))??;
    let bytes = stored.iter().map(|r| r.data.len() + r.partition_key.len()).sum();
    let tip = svc.log.tip(log_key);
    let next = stored.last().map_or(from, |r| r.counter + 1);
    let millis_behind_latest = match (stored.last(), tip) {
        (Some(last), Some(t)) if next < t.next_counter => (now - last.arrival_ms).max(0),
        _ => 0,
    };
    // A closed shard is finished once nothing is left to read in it: either the read passed
    // its last counter, or nothing unexpired remains after the position (no more will come).
    let finished = shard.closed_at_counter.is_some_and(|end| stored.is_empty() || next > end);
    // Sequence numbers are rendered a run at a time: the records of one batch share an arrival
    // time and have consecutive counters, so one full rendering serves the whole run.
    let mut seqs = Vec::with_capacity(stored.len());
    let mut run_start = 0;
    for i in 1..=stored.len() {
        let (first, prev) = (&stored[run_start], &stored[i - 1]);
        let ends = stored.get(i).is_none_or(|r| r.arrival_ms != prev.arrival_ms || r.counter != prev.counter + 1);
        if ends {
            seqs.extend(shard_map::sequence_numbers(shard, first.counter, first.arrival_ms, i - run_start));
            run_start = i;
        }
    }
    let mut records = Vec::with_capacity(stored.len());
    for (r, sequence_number) in stored.into_iter().zip(seqs) {
        // Records written while encryption was on carry their KeyId as the batch label.
        let (data, encryption_type) = match &r.label {
            Some(label) => {
                let key_id = String::from_utf8_lossy(label);
                let plain = svc.keyring.decrypt(&key_id, uid, &r.data).ok_or_else(|| {
                    tracing::error!(stream = %key.name, counter = r.counter, "a record does not decrypt with its key");
                    StreamsError::Log(riffle_log::LogError::Corrupt { segment: 0, offset: 0 })
                })?;
                (plain, Some("KMS"))
            }
            None => (r.data, None),
        };
        records.push(Record {
            sequence_number,
            approximate_arrival_timestamp: Timestamp(r.arrival_ms),
            data: Blob(data),
            partition_key: Text(r.partition_key),
            encryption_type,
        });
    }
    Ok(Page { records, next, finished, millis_behind_latest, bytes })
}
