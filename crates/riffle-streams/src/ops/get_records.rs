//! GetRecords: reads from an iterator's position, up to `Limit` records and 10 MiB, skipping
//! records past retention; hands back the next iterator. A closed shard read to its end
//! answers a null iterator and its ChildShards.

use std::sync::Arc;

use riffle_log::ShardKey;
use riffle_meta::StreamKey;
use riffle_types::ShardId;
use riffle_types::time::civil;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ChildShard, GetRecordsInput, GetRecordsOutput, HashKeyRange, Record};
use riffle_wire::types::{Blob, Timestamp};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::shard_map;
use crate::token::IteratorToken;

/// How long an iterator stays valid.
pub const ITERATOR_TTL_MS: i64 = 300_000;
/// Most bytes one call returns.
pub const MAX_BYTES: usize = 10 << 20;
const DEFAULT_LIMIT: usize = 10_000;

/// Java's `Date.toString()` in UTC, as AWS prints times: `Thu Jan 22 01:22:02 UTC 2015`.
fn java_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, mo, d, h, mi, s, _, wd) = civil(ms);
    format!("{} {} {d:02} {h:02}:{mi:02}:{s:02} UTC {y}", DAYS[wd as usize], MONTHS[(mo - 1) as usize])
}

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: GetRecordsInput,
) -> Result<GetRecordsOutput> {
    let it = IteratorToken::decode(&svc.sealer, &input.shard_iterator)
        .ok_or_else(|| StreamsError::InvalidArgument("Invalid ShardIterator.".into()))?;
    let now = svc.now_ms();
    if now - it.created_ms > ITERATOR_TTL_MS {
        return Err(StreamsError::ExpiredIterator(format!(
            "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
            java_date(it.created_ms),
            java_date(now)
        )));
    }
    let key = StreamKey { account: it.account.clone(), region: it.region.clone(), name: it.stream_name.clone() };
    let shard_id = ShardId(it.shard).to_string();
    let not_found = || StreamsError::ShardNotFound {
        shard: shard_id.clone(),
        name: key.name.clone(),
        account: key.account.clone(),
    };
    let (uid, shard, retention_ms, children) = {
        let catalog = svc.catalog.read().expect("catalog lock");
        let s = catalog.get(&key).ok_or_else(not_found)?;
        let shard = s.shards.iter().find(|x| x.index == it.shard).cloned().ok_or_else(not_found)?;
        let children: Vec<ChildShard> = s
            .shards
            .iter()
            .filter(|c| c.parent == Some(it.shard) || c.adjacent_parent == Some(it.shard))
            .map(|c| ChildShard {
                shard_id: ShardId(c.index).to_string(),
                parent_shards: c
                    .parent
                    .iter()
                    .chain(c.adjacent_parent.iter())
                    .map(|p| ShardId(*p).to_string())
                    .collect(),
                hash_key_range: HashKeyRange {
                    starting_hash_key: c.start_hash.to_string(),
                    ending_hash_key: c.end_hash.to_string(),
                },
            })
            .collect();
        (s.uid, shard, i64::from(s.retention_hours) * 3_600_000, children)
    };
    let log_key = ShardKey { stream: uid, shard: it.shard };
    if svc.limits.admit_read(log_key).is_err() {
        return Err(StreamsError::Throughput { shard: shard_id, name: key.name, account: key.account });
    }
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
    let log = svc.log.clone();
    let from = it.counter;
    let min_arrival = now - retention_ms;
    let stored = tokio::task::spawn_blocking(move || log.read(log_key, from, min_arrival, limit, MAX_BYTES))
        .await
        .map_err(|_| StreamsError::Log(riffle_log::LogError::Closed))??;
    svc.limits.charge_read(log_key, stored.iter().map(|r| r.data.len() + r.partition_key.len()).sum());
    let tip = svc.log.tip(log_key);
    let next = stored.last().map_or(from, |r| r.counter + 1);
    let behind = match (stored.last(), tip) {
        (Some(last), Some(t)) if next < t.next_counter => (now - last.arrival_ms).max(0),
        _ => 0,
    };
    // A closed shard is finished once nothing is left to read in it: either the read passed
    // its last counter, or nothing unexpired remains after the position (no more will come).
    let finished = shard.closed_at_counter.is_some_and(|end| stored.is_empty() || next > end);
    let mut records = Vec::with_capacity(stored.len());
    for r in stored {
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
            sequence_number: shard_map::sequence_number(&shard, r.counter, r.arrival_ms),
            approximate_arrival_timestamp: Timestamp(r.arrival_ms),
            data: Blob(data),
            partition_key: String::from_utf8_lossy(&r.partition_key).into_owned(),
            encryption_type,
        });
    }
    let next_shard_iterator =
        (!finished).then(|| IteratorToken { created_ms: now, counter: next, ..it }.encode(&svc.sealer));
    Ok(GetRecordsOutput {
        records,
        next_shard_iterator,
        millis_behind_latest: behind,
        child_shards: finished.then_some(children),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_dates() {
        assert_eq!(super::java_date(1_421_889_722_000), "Thu Jan 22 01:22:02 UTC 2015");
    }
}
