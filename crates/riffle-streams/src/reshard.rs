//! Resharding as pure changes to a stream's shard list: split, merge, and the plan of splits
//! and merges that takes a stream to a uniform layout of N shards (UpdateShardCount).
//!
//! Invariants (property-tested below): after any sequence of these, the open shards partition
//! `[0, 2^128)` exactly once; every closed shard has an end counter; children carry their
//! parents; indices are never reused; a child's creation second is later than each parent's,
//! so its sequence numbers sort after theirs.

use std::collections::HashMap;

use riffle_meta::{ShardRecord, StreamRecord};
use riffle_types::hash::even_ranges;

/// One step of a reshard plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Split { shard: u32, at: u128 },
    Merge { shard: u32, adjacent: u32 },
}

/// A child's creation time: now, but at least one second after every parent's, so that the
/// creation-time field of its sequence numbers is larger.
fn child_created_ms(parents: &[&ShardRecord], now: i64) -> i64 {
    let latest_parent_sec = parents.iter().map(|p| p.created_ms.div_euclid(1000)).max().unwrap_or(i64::MIN);
    now.max((latest_parent_sec + 1) * 1000)
}

fn close(shard: &mut ShardRecord, end_counter: u64, now: i64) {
    shard.closed_at_counter = Some(end_counter);
    shard.closed_ms = Some(now);
}

fn open_index(s: &StreamRecord, index: u32) -> Option<usize> {
    s.shards.iter().position(|x| x.index == index && x.is_open())
}

/// Splits open shard `index` at `at` (its first key of the upper child); the caller checked
/// that `start + 1 < at < end`. `end_counter` is the parent's last counter. Returns the
/// children's indices.
pub fn split(s: &mut StreamRecord, index: u32, at: u128, end_counter: u64, now: i64) -> [u32; 2] {
    let pi = open_index(s, index).expect("split of an open shard");
    let created = child_created_ms(&[&s.shards[pi]], now);
    let parent = s.shards[pi].clone();
    close(&mut s.shards[pi], end_counter, now);
    let next = s.shards.len() as u32;
    let child = |i: u32, start: u128, end: u128| ShardRecord {
        parent: Some(parent.index),
        ..ShardRecord::new(i, start, end, created)
    };
    s.shards.push(child(next, parent.start_hash, at - 1));
    s.shards.push(child(next + 1, at, parent.end_hash));
    [next, next + 1]
}

/// Merges open shards `index` and `adjacent` (adjacent ranges; the caller checked). Returns the
/// child's index. `ends` gives each parent's last counter.
pub fn merge(s: &mut StreamRecord, index: u32, adjacent: u32, ends: (u64, u64), now: i64) -> u32 {
    let a = open_index(s, index).expect("merge of an open shard");
    let b = open_index(s, adjacent).expect("merge of an open shard");
    let created = child_created_ms(&[&s.shards[a], &s.shards[b]], now);
    let start = s.shards[a].start_hash.min(s.shards[b].start_hash);
    let end = s.shards[a].end_hash.max(s.shards[b].end_hash);
    close(&mut s.shards[a], ends.0, now);
    close(&mut s.shards[b], ends.1, now);
    let next = s.shards.len() as u32;
    s.shards.push(ShardRecord {
        parent: Some(index),
        adjacent_parent: Some(adjacent),
        ..ShardRecord::new(next, start, end, created)
    });
    next
}

/// Whether two open shards' ranges touch.
pub fn adjacent(a: &ShardRecord, b: &ShardRecord) -> bool {
    a.end_hash.checked_add(1) == Some(b.start_hash) || b.end_hash.checked_add(1) == Some(a.start_hash)
}

/// Applies the plan that takes the open shards to exactly `even_ranges(target)`: first split
/// every open shard at each target boundary strictly inside it, then merge neighbours whose
/// shared boundary is not a target boundary. `ends` gives the last counter of each currently
/// open shard (shards created by the plan close empty, at counter 0).
pub fn scale(s: &mut StreamRecord, target: u32, ends: &HashMap<u32, u64>, now: i64) -> Vec<Step> {
    let boundaries: Vec<u128> = even_ranges(target).iter().skip(1).map(|r| r.start).collect();
    let end_of = |i: u32| ends.get(&i).copied().unwrap_or(0);
    let mut steps = Vec::new();
    // Splits.
    let mut work: Vec<u32> = s.shards.iter().filter(|x| x.is_open()).map(|x| x.index).collect();
    while let Some(i) = work.pop() {
        let sh = &s.shards[open_index(s, i).expect("open")];
        if let Some(&at) = boundaries.iter().find(|&&b| b > sh.start_hash && b <= sh.end_hash) {
            let children = split(s, i, at, end_of(i), now);
            steps.push(Step::Split { shard: i, at });
            work.extend(children);
        }
    }
    // Merges, left to right.
    loop {
        let mut open: Vec<&ShardRecord> = s.shards.iter().filter(|x| x.is_open()).collect();
        open.sort_by_key(|x| x.start_hash);
        let pair = open.windows(2).find(|w| !boundaries.contains(&w[1].start_hash)).map(|w| (w[0].index, w[1].index));
        let Some((a, b)) = pair else { break };
        merge(s, a, b, (end_of(a), end_of(b)), now);
        steps.push(Step::Merge { shard: a, adjacent: b });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use riffle_meta::{StreamKey, StreamMode};

    fn stream(n: u32) -> StreamRecord {
        let ranges: Vec<(u128, u128)> = even_ranges(n).iter().map(|r| (r.start, r.end)).collect();
        let key = StreamKey { account: "0".repeat(12), region: "r".into(), name: "s".into() };
        StreamRecord::new(1, key, StreamMode::Provisioned, &ranges, 10_000)
    }

    fn check_invariants(s: &StreamRecord) -> Result<(), TestCaseError> {
        let mut open: Vec<&ShardRecord> = s.shards.iter().filter(|x| x.is_open()).collect();
        open.sort_by_key(|x| x.start_hash);
        prop_assert_eq!(open.first().map(|x| x.start_hash), Some(0));
        prop_assert_eq!(open.last().map(|x| x.end_hash), Some(u128::MAX));
        for w in open.windows(2) {
            prop_assert_eq!(w[0].end_hash.checked_add(1), Some(w[1].start_hash));
        }
        for (i, sh) in s.shards.iter().enumerate() {
            prop_assert_eq!(sh.index as usize, i, "indices are dense and never reused");
            for p in sh.parent.iter().chain(sh.adjacent_parent.iter()) {
                let parent = &s.shards[*p as usize];
                prop_assert!(!parent.is_open(), "a parent is closed");
                prop_assert!(sh.created_ms / 1000 > parent.created_ms / 1000, "child sorts after parent");
            }
        }
        Ok(())
    }

    #[derive(Debug, Clone)]
    enum Op {
        Split(usize, u128),
        Merge(usize),
        Scale(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<usize>(), any::<u128>()).prop_map(|(i, k)| Op::Split(i, k)),
            any::<usize>().prop_map(Op::Merge),
            (1u32..40).prop_map(Op::Scale),
        ]
    }

    proptest! {
        #[test]
        fn open_shards_always_partition_the_key_space(n in 1u32..12, ops in prop::collection::vec(op(), 0..12)) {
            let mut s = stream(n);
            let mut now = 20_000;
            for o in ops {
                now += 500;
                let mut open: Vec<ShardRecord> = s.shards.iter().filter(|x| x.is_open()).cloned().collect();
                open.sort_by_key(|x| x.start_hash);
                match o {
                    Op::Split(i, k) => {
                        let sh = &open[i % open.len()];
                        if sh.end_hash - sh.start_hash < 3 { continue; }
                        let at = sh.start_hash + 2 + k % (sh.end_hash - sh.start_hash - 2);
                        split(&mut s, sh.index, at, 5, now);
                    }
                    Op::Merge(i) => {
                        if open.len() < 2 { continue; }
                        let j = i % (open.len() - 1);
                        merge(&mut s, open[j].index, open[j + 1].index, (1, 2), now);
                    }
                    Op::Scale(t) => {
                        scale(&mut s, t, &HashMap::new(), now);
                        let mut after: Vec<(u128, u128)> = s.shards.iter().filter(|x| x.is_open()).map(|x| (x.start_hash, x.end_hash)).collect();
                        after.sort();
                        let want: Vec<(u128, u128)> = even_ranges(t).iter().map(|r| (r.start, r.end)).collect();
                        prop_assert_eq!(after, want, "scaling reaches the uniform layout");
                    }
                }
                check_invariants(&s)?;
            }
        }
    }

    #[test]
    fn split_and_merge_lineage() {
        let mut s = stream(1);
        let kids = split(&mut s, 0, 1u128 << 127, 7, 20_000);
        assert_eq!(kids, [1, 2]);
        assert_eq!(s.shards[0].closed_at_counter, Some(7));
        assert_eq!(s.shards[1].parent, Some(0));
        assert_eq!(s.shards[1].end_hash, (1u128 << 127) - 1);
        assert_eq!(s.shards[2].start_hash, 1u128 << 127);
        let m = merge(&mut s, 1, 2, (3, 4), 21_000);
        assert_eq!(m, 3);
        assert_eq!((s.shards[3].parent, s.shards[3].adjacent_parent), (Some(1), Some(2)));
        assert_eq!((s.shards[3].start_hash, s.shards[3].end_hash), (0, u128::MAX));
    }
}
