//! GetRecords: reads from an iterator's position, up to `Limit` records and 10 MiB, skipping
//! records past retention; hands back the next iterator. A closed shard read to its end
//! answers a null iterator and its ChildShards.

use std::sync::Arc;

use riffle_log::ShardKey;
use riffle_meta::StreamKey;
use riffle_types::ShardId;
use riffle_types::time::civil;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{GetRecordsInput, GetRecordsOutput};

use crate::error::{Result, StreamsError};
use crate::read::{child_shards, read_page};
use crate::service::StreamsService;
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
        (s.uid, shard, i64::from(s.retention_hours) * 3_600_000, child_shards(s, it.shard))
    };
    let log_key = ShardKey { stream: uid, shard: it.shard };
    if svc.limits.admit_read(log_key).is_err() {
        return Err(StreamsError::Throughput { shard: shard_id, name: key.name, account: key.account });
    }
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
    let page = read_page(&svc, &key, uid, &shard, retention_ms, it.counter, limit, MAX_BYTES).await?;
    svc.limits.charge_read(log_key, page.bytes);
    let next_shard_iterator =
        (!page.finished).then(|| IteratorToken { created_ms: now, counter: page.next, ..it }.encode(&svc.sealer));
    Ok(GetRecordsOutput {
        records: page.records,
        next_shard_iterator,
        millis_behind_latest: page.millis_behind_latest,
        child_shards: page.finished.then_some(children),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_dates() {
        assert_eq!(super::java_date(1_421_889_722_000), "Thu Jan 22 01:22:02 UTC 2015");
    }
}
