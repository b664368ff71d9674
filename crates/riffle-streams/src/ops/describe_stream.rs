//! DescribeStream: the stream and a page of its shards.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{
    DescribeStreamInput, DescribeStreamOutput, EnhancedMetrics, StreamDescription, StreamModeDetails,
};
use riffle_wire::types::Timestamp;

use crate::error::Result;
use crate::service::StreamsService;
use crate::shard_map;

const DEFAULT_LIMIT: usize = 100;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: DescribeStreamInput,
) -> Result<DescribeStreamOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.read_stream(&key, |s| {
        let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
        let mut shards: Vec<_> = if s.status == StreamStatus::Creating {
            Vec::new()
        } else {
            // Closed shards whose records have all expired are no longer listed.
            let horizon = svc.now_ms() - i64::from(s.retention_hours) * 3_600_000;
            s.shards
                .iter()
                .filter(|sh| sh.closed_ms.is_none_or(|c| c >= horizon))
                .map(shard_map::describe)
                .filter(|d| input.exclusive_start_shard_id.as_ref().is_none_or(|x| d.shard_id > *x))
                .collect()
        };
        let has_more = shards.len() > limit;
        shards.truncate(limit);
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_name: s.key.name.clone(),
                stream_arn: StreamArn::new(&s.key.region, &s.key.account, &s.key.name).to_string(),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetails { stream_mode: s.mode.as_str().into() },
                shards,
                has_more_shards: has_more,
                retention_period_hours: s.retention_hours,
                stream_creation_timestamp: Timestamp(s.created_ms),
                enhanced_monitoring: vec![EnhancedMetrics { shard_level_metrics: s.shard_level_metrics.clone() }],
                encryption_type: if s.encryption_key_id.is_some() { "KMS" } else { "NONE" },
                key_id: s.encryption_key_id.clone(),
            },
        })
    })
}
