//! One file per operation. Each exposes `handle(svc, ctx, input)`.

use riffle_wire::Router;
use riffle_wire::model::kinesis::{self as m, ALL_OPERATIONS, TARGET_PREFIX};

use crate::service::StreamsService;

pub(crate) mod account_settings;
pub mod add_tags_to_stream;
pub mod consumers;
pub mod create_lease;
pub mod create_stream;
pub mod decrease_stream_retention_period;
pub mod delete_lease;
pub mod delete_resource_policy;
pub mod delete_stream;
pub mod deregister_stream_consumer;
pub mod describe_account_settings;
pub mod describe_limits;
pub mod describe_stream;
pub mod describe_stream_consumer;
pub mod describe_stream_summary;
pub mod disable_enhanced_monitoring;
pub mod enable_enhanced_monitoring;
pub(crate) mod encryption;
pub mod get_records;
pub mod get_resource_policy;
pub mod get_shard_iterator;
pub mod increase_stream_retention_period;
pub mod list_leases;
pub mod list_shards;
pub mod list_stream_consumers;
pub mod list_streams;
pub mod list_tags_for_resource;
pub mod list_tags_for_stream;
pub mod merge_shards;
pub(crate) mod monitoring;
pub mod put_record;
pub mod put_records;
pub mod put_resource_policy;
pub mod register_stream_consumer;
pub mod remove_tags_from_stream;
mod reshard_checks;
pub mod split_shard;
pub mod start_stream_encryption;
pub mod stop_stream_encryption;
pub mod tag_resource;
pub mod untag_resource;
pub mod update_account_settings;
pub mod update_lease;
pub mod update_max_record_size;
pub mod update_shard_count;
pub mod update_stream_mode;
pub mod update_stream_warm_throughput;

/// The lease-coordination extension's router (see `riffle_wire::model::leases`), behind the
/// same guard as Data Streams: IAM actions `kinesis:ListLeases` and so on, on the stream.
pub fn lease_router() -> Router<StreamsService> {
    use riffle_wire::model::leases as l;
    Router::new(l::TARGET_PREFIX)
        .route::<l::ListLeases, _, _, _>(list_leases::handle)
        .route::<l::CreateLease, _, _, _>(create_lease::handle)
        .route::<l::UpdateLease, _, _, _>(update_lease::handle)
        .route::<l::DeleteLease, _, _, _>(delete_lease::handle)
        .guard(|svc: &StreamsService, ctx, op, body| svc.admit(ctx, op, body))
}

/// The Data Streams router: every built operation, and the rest declared as not built.
pub fn router() -> Router<StreamsService> {
    let r = Router::new(TARGET_PREFIX)
        .route::<m::AddTagsToStream, _, _, _>(add_tags_to_stream::handle)
        .route::<m::CreateStream, _, _, _>(create_stream::handle)
        .route::<m::DecreaseStreamRetentionPeriod, _, _, _>(decrease_stream_retention_period::handle)
        .route::<m::DeleteStream, _, _, _>(delete_stream::handle)
        .route::<m::DescribeLimits, _, _, _>(describe_limits::handle)
        .route::<m::DescribeStream, _, _, _>(describe_stream::handle)
        .route::<m::DescribeStreamSummary, _, _, _>(describe_stream_summary::handle)
        .route::<m::GetRecords, _, _, _>(get_records::handle)
        .route::<m::GetShardIterator, _, _, _>(get_shard_iterator::handle)
        .route::<m::IncreaseStreamRetentionPeriod, _, _, _>(increase_stream_retention_period::handle)
        .route::<m::ListShards, _, _, _>(list_shards::handle)
        .route::<m::ListStreams, _, _, _>(list_streams::handle)
        .route::<m::ListTagsForResource, _, _, _>(list_tags_for_resource::handle)
        .route::<m::ListTagsForStream, _, _, _>(list_tags_for_stream::handle)
        .route::<m::PutRecord, _, _, _>(put_record::handle)
        .route::<m::PutRecords, _, _, _>(put_records::handle)
        .route::<m::RemoveTagsFromStream, _, _, _>(remove_tags_from_stream::handle)
        .route::<m::TagResource, _, _, _>(tag_resource::handle)
        .route::<m::UntagResource, _, _, _>(untag_resource::handle)
        .route::<m::SplitShard, _, _, _>(split_shard::handle)
        .route::<m::MergeShards, _, _, _>(merge_shards::handle)
        .route::<m::UpdateShardCount, _, _, _>(update_shard_count::handle)
        .route::<m::EnableEnhancedMonitoring, _, _, _>(enable_enhanced_monitoring::handle)
        .route::<m::DisableEnhancedMonitoring, _, _, _>(disable_enhanced_monitoring::handle)
        .route::<m::UpdateMaxRecordSize, _, _, _>(update_max_record_size::handle)
        .route::<m::UpdateStreamMode, _, _, _>(update_stream_mode::handle)
        .route::<m::UpdateStreamWarmThroughput, _, _, _>(update_stream_warm_throughput::handle)
        .route::<m::DescribeAccountSettings, _, _, _>(describe_account_settings::handle)
        .route::<m::UpdateAccountSettings, _, _, _>(update_account_settings::handle)
        .route::<m::StartStreamEncryption, _, _, _>(start_stream_encryption::handle)
        .route::<m::StopStreamEncryption, _, _, _>(stop_stream_encryption::handle)
        .route::<m::PutResourcePolicy, _, _, _>(put_resource_policy::handle)
        .route::<m::GetResourcePolicy, _, _, _>(get_resource_policy::handle)
        .route::<m::DeleteResourcePolicy, _, _, _>(delete_resource_policy::handle)
        .route::<m::RegisterStreamConsumer, _, _, _>(register_stream_consumer::handle)
        .route::<m::DescribeStreamConsumer, _, _, _>(describe_stream_consumer::handle)
        .route::<m::DeregisterStreamConsumer, _, _, _>(deregister_stream_consumer::handle)
        .route::<m::ListStreamConsumers, _, _, _>(list_stream_consumers::handle);
    let r = r.guard(|svc: &StreamsService, ctx, op, body| svc.admit(ctx, op, body));
    let built = r.operations();
    let not_built: Vec<&'static str> = ALL_OPERATIONS.iter().copied().filter(|o| !built.contains(o)).collect();
    r.not_built(&not_built).streaming(&["SubscribeToShard"])
}

/// Shared checks for the retention operations.
pub(crate) mod retention {
    use std::sync::Arc;

    use riffle_wire::RequestContext;
    use riffle_wire::model::kinesis::{Empty, RetentionInput};

    use crate::error::{Result, StreamsError};
    use crate::service::StreamsService;

    pub const MIN_HOURS: i64 = 24;
    pub const MAX_HOURS: i64 = 8760;

    /// Sets the retention; `increase` says which direction the operation allows.
    pub fn set(
        svc: &Arc<StreamsService>,
        ctx: &RequestContext,
        input: RetentionInput,
        increase: bool,
    ) -> Result<Empty> {
        let key = svc.stream_key(ctx, &input.stream)?;
        let h = input.retention_period_hours;
        svc.update_stream(&key, |s| {
            if h < MIN_HOURS {
                return Err(StreamsError::InvalidArgument(format!(
                    "Minimum allowed retention period is {MIN_HOURS} hours. Requested retention period ({h} hours) is too short."
                )));
            }
            if h > MAX_HOURS {
                return Err(StreamsError::InvalidArgument(format!(
                    "Maximum allowed retention period is {MAX_HOURS} hours. Requested retention period ({h} hours) is too long."
                )));
            }
            let cur = i64::from(s.retention_hours);
            if increase && h < cur {
                return Err(StreamsError::InvalidArgument(format!(
                    "Requested retention period ({h} hours) for stream {} can not be shorter than existing retention period ({cur} hours). Use DecreaseRetentionPeriod API.",
                    key.name
                )));
            }
            if !increase && h > cur {
                return Err(StreamsError::InvalidArgument(format!(
                    "Requested retention period ({h} hours) for stream {} can not be longer than existing retention period ({cur} hours). Use IncreaseRetentionPeriod API.",
                    key.name
                )));
            }
            s.retention_hours = h as u32;
            Ok(Empty {})
        })
    }
}

/// Resolving a resource ARN to a stream, for the by-ARN tagging operations.
pub(crate) mod resource {
    use riffle_meta::StreamKey;
    use riffle_types::names::StreamArn;

    use crate::error::{Result, StreamsError};

    pub fn stream_key(arn: &str) -> Result<StreamKey> {
        match StreamArn::parse(arn) {
            Some(a) => Ok(StreamKey { account: a.account, region: a.region, name: a.name }),
            None if arn.contains("/consumer/") => Err(StreamsError::NotFound(format!(
                "Consumer {arn} not found. Stream consumers are not built in Riffle yet."
            ))),
            None => Err(StreamsError::InvalidArgument(format!("Invalid ResourceARN {arn}."))),
        }
    }
}
