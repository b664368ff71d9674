//! UpdateStreamMode: switches a stream between PROVISIONED and ON_DEMAND. The shards stay as
//! they are; an ON_DEMAND stream then splits hot shards on its own (see `autoscale`).

use std::sync::Arc;

use riffle_meta::{StreamMode, StreamStatus};
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, UpdateStreamModeInput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: UpdateStreamModeInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let mode = match input.stream_mode_details.stream_mode.as_str() {
        "ON_DEMAND" => StreamMode::OnDemand,
        _ => StreamMode::Provisioned,
    };
    let delay = svc.config.update_delay;
    let now = svc.now_ms();
    let uid = {
        let mut catalog = svc.catalog.write().expect("catalog lock");
        let on_demand = catalog
            .values()
            .filter(|s| s.key.account == key.account && s.key.region == key.region && s.mode == StreamMode::OnDemand)
            .count() as u32;
        let s = catalog.get_mut(&key).ok_or_else(|| StreamsService::not_found(&key))?;
        if s.status != StreamStatus::Active {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        if s.mode == mode {
            return Err(StreamsError::InvalidArgument(format!(
                "Stream {} under account {} is already in {} mode.",
                key.name,
                key.account,
                mode.as_str()
            )));
        }
        if mode == StreamMode::OnDemand && on_demand >= svc.config.on_demand_stream_limit {
            return Err(StreamsError::LimitExceeded(format!(
                "This request would exceed the limit of {} on-demand streams for the account {} in {}.",
                svc.config.on_demand_stream_limit, key.account, key.region
            )));
        }
        let mut updated = s.clone();
        updated.mode = mode;
        updated.warm_throughput_mibps = if mode == StreamMode::OnDemand { input.warm_throughput_mibps } else { None };
        if !delay.is_zero() {
            updated.status = StreamStatus::Updating;
            updated.transition_until_ms = Some(now + delay.as_millis() as i64);
        }
        svc.meta.put_stream(&updated)?;
        let uid = updated.uid;
        *s = updated;
        uid
    };
    if !delay.is_zero() {
        svc.finish_transition_after(key, uid, delay);
    }
    Ok(Empty {})
}
