//! MergeShards: closes two adjacent shards and opens one child covering both ranges.

use std::sync::Arc;

use riffle_types::ShardId;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, MergeShardsInput};

use super::reshard_checks::{open_shard, provisioned};
use crate::error::{Result, StreamsError};
use crate::reshard;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: MergeShardsInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.reshard(
        &key,
        |s, _| {
            provisioned(s, "MergeShards")?;
            let a = open_shard(s, &input.shard_to_merge)?;
            let b = open_shard(s, &input.adjacent_shard_to_merge)?;
            if a.index == b.index || !reshard::adjacent(a, b) {
                return Err(StreamsError::InvalidArgument(format!(
                    "Shards {} and {} in stream {} under account {} are not an adjacent pair of shards eligible for merging",
                    ShardId(a.index),
                    ShardId(b.index),
                    s.key.name,
                    s.key.account
                )));
            }
            Ok((vec![a.index, b.index], (a.index, b.index)))
        },
        |s, ends, (a, b), now| {
            reshard::merge(s, a, b, (ends[&a], ends[&b]), now);
        },
    )
    .await?;
    Ok(Empty {})
}
