//! DescribeLimits: the account's shard limit and usage in the caller's region.

use std::sync::Arc;

use riffle_meta::StreamMode;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{DescribeLimitsOutput, NoInput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, _input: NoInput) -> Result<DescribeLimitsOutput> {
    let catalog = svc.catalog.read().expect("catalog lock");
    let mine = || catalog.values().filter(|s| s.key.account == ctx.account && s.key.region == ctx.region);
    Ok(DescribeLimitsOutput {
        shard_limit: svc.config.shard_limit,
        open_shard_count: mine().map(|s| s.open_shards().count() as u32).sum(),
        on_demand_stream_count: mine().filter(|s| s.mode == StreamMode::OnDemand).count() as u32,
        on_demand_stream_count_limit: svc.config.on_demand_stream_limit,
    })
}
