//! The most recent durable write groups, kept in memory so that reads at the tip (consumers
//! keeping up with producers) are served without touching the disk.
//!
//! The writer hands over each group's buffer after it is durable (no copy: the buffer becomes
//! [`Bytes`]), and readers get zero-copy slices of it. Groups leave oldest first once the cache
//! holds more than its budget.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;

struct Group {
    segment: u64,
    offset: u64,
    bytes: Bytes,
}

pub(crate) struct TipCache {
    budget: usize,
    inner: Mutex<(VecDeque<Group>, usize)>,
}

impl TipCache {
    pub(crate) fn new(budget: usize) -> Self {
        TipCache { budget, inner: Mutex::new((VecDeque::new(), 0)) }
    }

    /// Keeps the durable group written at `offset` of `segment`.
    pub(crate) fn insert(&self, segment: u64, offset: u64, bytes: Bytes) {
        if self.budget == 0 || bytes.len() > self.budget {
            return;
        }
        let mut g = self.inner.lock().expect("lock");
        let (groups, held) = &mut *g;
        *held += bytes.len();
        groups.push_back(Group { segment, offset, bytes });
        while *held > self.budget {
            let Some(old) = groups.pop_front() else { break };
            *held -= old.bytes.len();
        }
    }

    /// The bytes at `offset..offset + len` of `segment`, if a cached group holds them.
    pub(crate) fn get(&self, segment: u64, offset: u64, len: usize) -> Option<Bytes> {
        let g = self.inner.lock().expect("lock");
        // Readers mostly want the newest groups, so search from the back.
        g.0.iter().rev().find_map(|c| {
            let start = offset.checked_sub(c.offset)? as usize;
            (c.segment == segment && start + len <= c.bytes.len()).then(|| c.bytes.slice(start..start + len))
        })
    }

    /// Drops every group of `segment` (deleted by retention).
    pub(crate) fn forget_segment(&self, segment: u64) {
        let mut g = self.inner.lock().expect("lock");
        let (groups, held) = &mut *g;
        groups.retain(|c| {
            let keep = c.segment != segment;
            if !keep {
                *held -= c.bytes.len();
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_slices_of_recent_groups_within_budget() {
        let c = TipCache::new(10);
        c.insert(1, 100, Bytes::from_static(b"abcdef"));
        assert_eq!(c.get(1, 102, 3).as_deref(), Some(&b"cde"[..]));
        assert_eq!(c.get(1, 104, 3), None, "runs past the group");
        assert_eq!(c.get(2, 102, 3), None, "another segment");
        assert_eq!(c.get(1, 99, 1), None, "before the group");
        c.insert(1, 106, Bytes::from_static(b"ghij"));
        assert!(c.get(1, 100, 6).is_some(), "10 bytes fit the budget");
        c.insert(1, 110, Bytes::from_static(b"k"));
        assert_eq!(c.get(1, 100, 6), None, "the oldest group left");
        assert_eq!(c.get(1, 110, 1).as_deref(), Some(&b"k"[..]));
        c.forget_segment(1);
        assert_eq!(c.get(1, 110, 1), None);
        assert_eq!(TipCache::new(0).get(1, 0, 0), None);
    }
}
