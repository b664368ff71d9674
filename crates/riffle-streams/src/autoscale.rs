//! ON_DEMAND scaling: every `check_interval`, each ON_DEMAND stream's open shards whose write
//! rate over the interval passed `split_threshold` of the per-shard write limit (bytes or
//! records) are split at the middle of their hash range, so that per-shard load stays under
//! the provisioned limits as AWS's on-demand mode keeps it. Splits go through the same
//! resharding path as SplitShard (lineage, sealed parents, UPDATING then ACTIVE).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use riffle_log::ShardKey;
use riffle_meta::{StreamKey, StreamMode, StreamRecord, StreamStatus};

use crate::limits::LimitsConfig;
use crate::reshard;
use crate::service::StreamsService;

/// The policy's settings.
#[derive(Debug, Clone)]
pub struct AutoscaleConfig {
    pub check_interval: Duration,
    /// Fraction of the per-shard write limit above which a shard is split.
    pub split_threshold: f64,
}

impl Default for AutoscaleConfig {
    fn default() -> Self {
        AutoscaleConfig { check_interval: Duration::from_secs(10), split_threshold: 0.5 }
    }
}

/// The hot open shards of an ON_DEMAND stream and where to split each.
pub fn hot_shards(
    s: &StreamRecord,
    rates: &HashMap<ShardKey, (f64, f64)>,
    limits: &LimitsConfig,
    threshold: f64,
) -> Vec<(u32, u128)> {
    if s.mode != StreamMode::OnDemand || s.status != StreamStatus::Active {
        return Vec::new();
    }
    s.open_shards()
        .filter(|sh| sh.end_hash - sh.start_hash >= 4)
        .filter(|sh| {
            rates.get(&ShardKey { stream: s.uid, shard: sh.index }).is_some_and(|(bytes, records)| {
                *bytes > threshold * limits.shard_write_bytes_per_sec
                    || *records > threshold * limits.shard_write_records_per_sec
            })
        })
        .map(|sh| (sh.index, sh.start_hash + (sh.end_hash - sh.start_hash) / 2 + 1))
        .collect()
}

/// One pass of the policy: measure, decide, split.
pub async fn check(svc: &Arc<StreamsService>) {
    let (rates, limits) = svc.limits.take_write_window();
    let limits = limits.clone();
    let threshold = svc.config.autoscale.split_threshold;
    let plans: Vec<(StreamKey, Vec<(u32, u128)>)> = {
        let catalog = svc.catalog.read().expect("catalog lock");
        catalog
            .values()
            .map(|s| (s.key.clone(), hot_shards(s, &rates, &limits, threshold)))
            .filter(|(_, hot)| !hot.is_empty())
            .collect()
    };
    for (key, hot) in plans {
        for (index, at) in hot {
            let r = svc
                .reshard(
                    &key,
                    |s, catalog| {
                        if s.shards.iter().all(|x| x.index != index || !x.is_open()) {
                            return Err(crate::StreamsError::InvalidArgument("shard no longer open".into()));
                        }
                        svc.check_shard_limit(catalog, &key, 1)?;
                        Ok((vec![index], ()))
                    },
                    |s, ends, (), now| {
                        reshard::split(s, index, at, ends[&index], now);
                    },
                )
                .await;
            match r {
                Ok(()) => tracing::info!(stream = %key.name, shard = index, "ON_DEMAND stream split a hot shard"),
                Err(e) => tracing::warn!(stream = %key.name, shard = index, error = %e, "ON_DEMAND split skipped"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(mode: StreamMode) -> StreamRecord {
        let ranges: Vec<(u128, u128)> = riffle_types::hash::even_ranges(2).iter().map(|r| (r.start, r.end)).collect();
        let key = StreamKey { account: "0".repeat(12), region: "r".into(), name: "s".into() };
        StreamRecord::new(9, key, mode, &ranges, 0)
    }

    #[test]
    fn only_hot_shards_of_on_demand_streams_split_at_their_middle() {
        let limits = LimitsConfig::default();
        let rates = HashMap::from([
            (ShardKey { stream: 9, shard: 0 }, (100.0, 600.0)), // 60 % of the record limit
            (ShardKey { stream: 9, shard: 1 }, (1000.0, 10.0)),
        ]);
        let hot = hot_shards(&stream(StreamMode::OnDemand), &rates, &limits, 0.5);
        assert_eq!(hot, vec![(0, 1u128 << 126)]);
        assert!(hot_shards(&stream(StreamMode::Provisioned), &rates, &limits, 0.5).is_empty());
        assert!(hot_shards(&stream(StreamMode::OnDemand), &rates, &limits, 0.7).is_empty());
    }
}
