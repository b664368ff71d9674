//! CreateStream: a new stream whose shards split the hash-key space evenly.

use std::sync::Arc;

use riffle_meta::{StreamKey, StreamMode, StreamRecord, StreamStatus};
use riffle_types::hash::even_ranges;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{CreateStreamInput, Empty};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::tags;

/// Shards of a new ON_DEMAND stream (and of a stream created without a ShardCount).
pub const DEFAULT_SHARDS: u32 = 4;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: CreateStreamInput) -> Result<Empty> {
    let key = StreamKey { account: ctx.account.clone(), region: ctx.region.clone(), name: input.stream_name.clone() };
    let mode = match input.stream_mode_details.as_ref().map(|d| d.stream_mode.as_str()) {
        Some("ON_DEMAND") => StreamMode::OnDemand,
        _ => StreamMode::Provisioned,
    };
    let shard_count = match mode {
        StreamMode::OnDemand => DEFAULT_SHARDS,
        StreamMode::Provisioned => input.shard_count.unwrap_or(DEFAULT_SHARDS),
    };
    let mut tag_map = Default::default();
    if let Some(t) = &input.tags {
        tags::add(&mut tag_map, t, &key.name, &key.account)?;
    }
    let now = svc.now_ms();
    let delay = svc.config.create_delay;
    let uid;
    {
        let mut catalog = svc.catalog.write().expect("catalog lock");
        if catalog.contains_key(&key) {
            return Err(StreamsError::StreamExists { name: key.name, account: key.account });
        }
        let same_place = || catalog.values().filter(|s| s.key.account == key.account && s.key.region == key.region);
        let open: u32 = same_place().map(|s| s.open_shards().count() as u32).sum();
        if u64::from(open) + u64::from(shard_count) > u64::from(svc.config.shard_limit) {
            return Err(StreamsError::ShardLimit {
                account: key.account,
                region: key.region,
                current: open,
                limit: svc.config.shard_limit,
                requested: shard_count,
            });
        }
        if mode == StreamMode::OnDemand {
            let on_demand = same_place().filter(|s| s.mode == StreamMode::OnDemand).count() as u32;
            if on_demand >= svc.config.on_demand_stream_limit {
                return Err(StreamsError::LimitExceeded(format!(
                    "This request would exceed the limit of {} on-demand streams for the account {} in {}.",
                    svc.config.on_demand_stream_limit, key.account, key.region
                )));
            }
        }
        uid = svc.next_uid()?;
        let ranges: Vec<(u128, u128)> = even_ranges(shard_count).iter().map(|r| (r.start, r.end)).collect();
        let mut record = StreamRecord::new(uid, key.clone(), mode, &ranges, now);
        if !delay.is_zero() {
            record.status = StreamStatus::Creating;
            record.transition_until_ms = Some(now + delay.as_millis() as i64);
        }
        record.tags = tag_map;
        record.max_record_size_kib = input.max_record_size_in_kib.unwrap_or(1024);
        record.warm_throughput_mibps = input.warm_throughput_mibps.filter(|_| mode == StreamMode::OnDemand);
        svc.meta.put_stream(&record)?;
        catalog.insert(key.clone(), record);
    }
    tracing::info!(stream = %key.name, account = %key.account, region = %key.region, shards = shard_count, "stream created");
    if !delay.is_zero() {
        svc.finish_transition_after(key, uid, delay);
    }
    Ok(Empty {})
}
