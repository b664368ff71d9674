//! What Enable- and DisableEnhancedMonitoring share: the metric set arithmetic and the reply.
//! The chosen shard-level metric names are stored on the stream for the metrics endpoint.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{METRICS, MonitoringInput, MonitoringOutput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

/// Expands `ALL` and keeps AWS's metric order.
fn expand(names: &[String]) -> Vec<String> {
    let all = names.iter().any(|n| n == "ALL");
    METRICS.iter().filter(|m| **m != "ALL" && (all || names.iter().any(|n| n == *m))).map(|m| m.to_string()).collect()
}

/// Adds (`enable`) or removes the metrics and answers the before and after sets.
pub fn change(
    svc: &Arc<StreamsService>,
    ctx: &RequestContext,
    input: MonitoringInput,
    enable: bool,
) -> Result<MonitoringOutput> {
    let key = svc.stream_key(ctx, &input.stream)?;
    let asked = expand(&input.shard_level_metrics);
    let (current, desired) = svc.update_stream(&key, |s| {
        if s.status != StreamStatus::Active {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        let current = s.shard_level_metrics.clone();
        let mut desired: Vec<String> = if enable {
            current.iter().chain(asked.iter()).cloned().collect()
        } else {
            current.iter().filter(|m| !asked.contains(m)).cloned().collect()
        };
        desired = expand(&desired);
        s.shard_level_metrics = desired.clone();
        Ok((current, desired))
    })?;
    Ok(MonitoringOutput {
        stream_arn: StreamArn::new(&key.region, &key.account, &key.name).to_string(),
        stream_name: key.name,
        current_shard_level_metrics: current,
        desired_shard_level_metrics: desired,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_expands_in_aws_order() {
        let e = super::expand(&["OutgoingBytes".into(), "IncomingBytes".into()]);
        assert_eq!(e, vec!["IncomingBytes", "OutgoingBytes"]);
        assert_eq!(super::expand(&["ALL".into()]).len(), 7);
    }
}
