//! Shards as AWS shows them, hash-key routing, and sequence numbers of records.

use riffle_meta::{ShardRecord, StreamRecord};
use riffle_types::{SequenceNumber, ShardId};
use riffle_wire::model::kinesis::{HashKeyRange, SequenceNumberRange, Shard};

/// The open shards of a stream sorted by starting hash key, for routing.
pub struct Router<'a> {
    open: Vec<&'a ShardRecord>,
}

impl<'a> Router<'a> {
    pub fn new(stream: &'a StreamRecord) -> Self {
        let mut open: Vec<&ShardRecord> = stream.open_shards().collect();
        open.sort_by_key(|s| s.start_hash);
        Router { open }
    }

    /// The open shard whose range holds `hash`. Open shards always cover the key space.
    pub fn route(&self, hash: u128) -> &'a ShardRecord {
        let i = self.open.partition_point(|s| s.start_hash <= hash);
        self.open[i.saturating_sub(1)]
    }
}

/// The sequence number of the record with `counter` that arrived at `arrival_ms` in `shard`.
pub fn sequence_number(shard: &ShardRecord, counter: u64, arrival_ms: i64) -> String {
    SequenceNumber {
        shard_created_secs: (shard.created_ms / 1000) as u64,
        shard_index: shard.index,
        counter,
        record_secs: (arrival_ms.max(0) / 1000) as u64,
    }
    .to_string()
}

/// The sequence numbers of `n` records written together from `first_counter` on.
pub fn sequence_numbers(shard: &ShardRecord, first_counter: u64, arrival_ms: i64, n: usize) -> Vec<String> {
    SequenceNumber {
        shard_created_secs: (shard.created_ms / 1000) as u64,
        shard_index: shard.index,
        counter: first_counter,
        record_secs: (arrival_ms.max(0) / 1000) as u64,
    }
    .render_consecutive(n)
}

/// The shard's StartingSequenceNumber.
pub fn starting_sequence_number(shard: &ShardRecord) -> String {
    SequenceNumber::shard_start((shard.created_ms / 1000) as u64, shard.index).to_string()
}

/// The shard as DescribeStream and ListShards show it.
pub fn describe(shard: &ShardRecord) -> Shard {
    Shard {
        shard_id: ShardId(shard.index).to_string(),
        parent_shard_id: shard.parent.map(|p| ShardId(p).to_string()),
        adjacent_parent_shard_id: shard.adjacent_parent.map(|p| ShardId(p).to_string()),
        hash_key_range: HashKeyRange {
            starting_hash_key: shard.start_hash.to_string(),
            ending_hash_key: shard.end_hash.to_string(),
        },
        sequence_number_range: SequenceNumberRange {
            starting_sequence_number: starting_sequence_number(shard),
            ending_sequence_number: shard
                .closed_at_counter
                .map(|c| sequence_number(shard, c, shard.closed_ms.unwrap_or(shard.created_ms))),
        },
    }
}

/// Resolves a ShardId argument as AWS does: the digits after the first `-` (or the whole
/// string), 0 to 2^31-1. `None` if it is not of that form.
pub fn resolve_shard_id(s: &str) -> Option<u32> {
    let digits = s.split_once('-').map_or(s, |(_, d)| d);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|n| *n <= i32::MAX as u64).map(|n| n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_id_resolution_matches_aws() {
        assert_eq!(resolve_shard_id("shardId-000000000005"), Some(5));
        assert_eq!(resolve_shard_id("shardId-5"), Some(5));
        assert_eq!(resolve_shard_id("5"), Some(5));
        assert_eq!(resolve_shard_id("abc-5"), Some(5));
        assert_eq!(resolve_shard_id("ABKLFD8"), None);
        assert_eq!(resolve_shard_id("shardId-002147483648"), None);
    }
}
