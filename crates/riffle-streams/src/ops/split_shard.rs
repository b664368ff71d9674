//! SplitShard: closes a shard and opens two children that divide its hash range at
//! NewStartingHashKey.

use std::sync::Arc;

use riffle_types::ShardId;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, SplitShardInput};

use super::reshard_checks::{open_shard, provisioned};
use crate::error::{Result, StreamsError};
use crate::reshard;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: SplitShardInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.reshard(
        &key,
        |s, catalog| {
            provisioned(s, "SplitShard")?;
            let shard = open_shard(s, &input.shard_to_split)?;
            let at: u128 =
                input.new_starting_hash_key.parse().map_err(|_| invalid_key(&input.new_starting_hash_key, shard, s))?;
            if at <= shard.start_hash.saturating_add(1) || at >= shard.end_hash {
                return Err(invalid_key(&input.new_starting_hash_key, shard, s));
            }
            svc.check_shard_limit(catalog, &key, 1)?;
            Ok((vec![shard.index], (shard.index, at)))
        },
        |s, ends, (index, at), now| {
            reshard::split(s, index, at, ends[&index], now);
        },
    )
    .await?;
    Ok(Empty {})
}

fn invalid_key(given: &str, shard: &riffle_meta::ShardRecord, s: &riffle_meta::StreamRecord) -> StreamsError {
    StreamsError::InvalidArgument(format!(
        "NewStartingHashKey {given} used in SplitShard() on shard {} in stream {} under account {} is not both greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
        ShardId(shard.index),
        s.key.name,
        s.key.account,
        shard.start_hash,
        shard.end_hash
    ))
}
