//! UpdateShardCount (UNIFORM_SCALING): splits and merges until the open shards are exactly the
//! uniform layout of TargetShardCount shards, within AWS's scaling limits.

use std::sync::Arc;

use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{UpdateShardCountInput, UpdateShardCountOutput};

use super::reshard_checks::provisioned;
use crate::error::{Result, StreamsError};
use crate::reshard;
use crate::service::StreamsService;

/// Scalings allowed per stream in a rolling 24 hours.
pub const MAX_SCALINGS_PER_DAY: usize = 10;
/// Most shards a stream can be scaled to.
pub const MAX_SHARDS: u32 = 10_000;
const DAY_MS: i64 = 86_400_000;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: UpdateShardCountInput,
) -> Result<UpdateShardCountOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let target = input.target_shard_count;
    let now = svc.now_ms();
    let current = svc
        .reshard(
            &key,
            |s, catalog| {
                provisioned(s, "UpdateShardCount")?;
                let open: Vec<u32> = s.open_shards().map(|x| x.index).collect();
                let n = open.len() as u32;
                let limit = |m: String| Err(StreamsError::LimitExceeded(m));
                if target > n.saturating_mul(2) {
                    return limit(format!(
                        "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: {n} Target shard count: {target}"
                    ));
                }
                if target.saturating_mul(2) < n {
                    return limit(format!(
                        "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: {n} Target shard count: {target}"
                    ));
                }
                if target > MAX_SHARDS {
                    return limit(format!(
                        "UpdateShardCount cannot scale up to more than {MAX_SHARDS} shards in a stream. Target shard count: {target}"
                    ));
                }
                if s.scalings_ms.iter().filter(|t| now - **t < DAY_MS).count() >= MAX_SCALINGS_PER_DAY {
                    return limit(format!(
                        "Exceeded the limit of {MAX_SCALINGS_PER_DAY} UpdateShardCount calls in a rolling 24-hour period for stream {} under account {}.",
                        s.key.name, s.key.account
                    ));
                }
                svc.check_shard_limit(catalog, &key, target.saturating_sub(n))?;
                Ok((open, n))
            },
            |s, ends, n, now| {
                reshard::scale(s, target, ends, now);
                s.scalings_ms.retain(|t| now - *t < DAY_MS);
                s.scalings_ms.push(now);
                n
            },
        )
        .await?;
    Ok(UpdateShardCountOutput {
        stream_arn: StreamArn::new(&key.region, &key.account, &key.name).to_string(),
        stream_name: key.name,
        current_shard_count: current,
        target_shard_count: target,
    })
}
