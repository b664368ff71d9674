//! Checks shared by SplitShard, MergeShards and UpdateShardCount.

use riffle_meta::{ShardRecord, StreamMode, StreamRecord};
use riffle_types::ShardId;

use crate::error::{Result, StreamsError};
use crate::shard_map::resolve_shard_id;

/// Resharding by hand is for PROVISIONED streams; ON_DEMAND streams scale themselves.
pub fn provisioned(s: &StreamRecord, op: &str) -> Result<()> {
    if s.mode == StreamMode::OnDemand {
        return Err(StreamsError::Validation(format!(
            "{op} is not supported for stream {} under account {} because it is in ON_DEMAND mode.",
            s.key.name, s.key.account
        )));
    }
    Ok(())
}

/// Resolves a shard argument to an open shard of `s`, with AWS's messages.
pub fn open_shard<'a>(s: &'a StreamRecord, given: &str) -> Result<&'a ShardRecord> {
    let missing = |id: &str| {
        StreamsError::NotFound(format!(
            "Could not find shard {id} in stream {} under account {}.",
            s.key.name, s.key.account
        ))
    };
    let index = resolve_shard_id(given).ok_or_else(|| missing(given))?;
    let id = ShardId(index).to_string();
    let shard = s.shards.iter().find(|x| x.index == index).ok_or_else(|| missing(&id))?;
    if !shard.is_open() {
        return Err(StreamsError::InvalidArgument(format!(
            "Shard {id} in stream {} under account {} has already been merged or split, and thus is not eligible for merging or splitting.",
            s.key.name, s.key.account
        )));
    }
    Ok(shard)
}
