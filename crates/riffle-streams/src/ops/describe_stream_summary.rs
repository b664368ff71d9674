//! DescribeStreamSummary: the stream without its shard list.

use std::sync::Arc;

use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{
    DescribeStreamSummaryOutput, EnhancedMetrics, StreamDescriptionSummary, StreamModeDetails, StreamOnlyInput,
    WarmThroughput,
};
use riffle_wire::types::Timestamp;

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: StreamOnlyInput,
) -> Result<DescribeStreamSummaryOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let committed =
        super::account_settings::active(&super::account_settings::load(&svc, &key.account, &key.region)?, svc.now_ms());
    svc.read_stream(&key, |s| {
        Ok(DescribeStreamSummaryOutput {
            stream_description_summary: StreamDescriptionSummary {
                stream_name: s.key.name.clone(),
                stream_arn: StreamArn::new(&s.key.region, &s.key.account, &s.key.name).to_string(),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetails { stream_mode: s.mode.as_str().into() },
                retention_period_hours: s.retention_hours,
                stream_creation_timestamp: Timestamp(s.created_ms),
                enhanced_monitoring: vec![EnhancedMetrics { shard_level_metrics: s.shard_level_metrics.clone() }],
                encryption_type: if s.encryption_key_id.is_some() { "KMS" } else { "NONE" },
                key_id: s.encryption_key_id.clone(),
                open_shard_count: s.open_shards().count() as u32,
                consumer_count: s.consumers.len() as u32,
                max_record_size_in_kib: s.max_record_size_kib,
                warm_throughput: (committed && s.mode == riffle_meta::StreamMode::OnDemand).then(|| WarmThroughput {
                    target_mibps: s.warm_throughput_mibps.unwrap_or(0),
                    current_mibps: s.warm_throughput_mibps.unwrap_or(0),
                }),
            },
        })
    })
}
