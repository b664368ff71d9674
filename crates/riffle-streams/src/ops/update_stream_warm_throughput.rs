//! UpdateStreamWarmThroughput: the write throughput an ON_DEMAND stream keeps ready, for
//! accounts with a minimum throughput billing commitment.

use std::sync::Arc;

use riffle_meta::{StreamMode, StreamStatus};
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{UpdateStreamWarmThroughputInput, UpdateStreamWarmThroughputOutput, WarmThroughput};

use super::account_settings;
use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: UpdateStreamWarmThroughputInput,
) -> Result<UpdateStreamWarmThroughputOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let committed = account_settings::active(&account_settings::load(&svc, &key.account, &key.region)?, svc.now_ms());
    let target = input.warm_throughput_mibps;
    let current = svc.update_stream(&key, |s| {
        if s.status != StreamStatus::Active {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        if s.mode != StreamMode::OnDemand || !committed {
            return Err(StreamsError::InvalidArgument(format!(
                "Warm throughput can only be set on ON_DEMAND streams in accounts with MinimumThroughputBillingCommitment enabled; stream {} under account {} does not qualify.",
                s.key.name, s.key.account
            )));
        }
        Ok(s.warm_throughput_mibps.replace(target).unwrap_or(0))
    })?;
    Ok(UpdateStreamWarmThroughputOutput {
        stream_arn: StreamArn::new(&key.region, &key.account, &key.name).to_string(),
        stream_name: key.name,
        warm_throughput: WarmThroughput { target_mibps: target, current_mibps: current.max(target) },
    })
}
