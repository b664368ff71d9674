//! Hash keys: Kinesis maps a partition key to the unsigned 128-bit big-endian integer of the MD5
//! of its UTF-8 bytes, and routes a record to the open shard whose inclusive range holds it.
//!
//! Invariant: the ranges made by [`even_ranges`] partition `[0, 2^128)` exactly once, in order.

use md5::{Digest, Md5};

/// The hash key of a partition key: MD5 of its UTF-8 bytes as a big-endian u128.
pub fn partition_hash(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    u128::from_be_bytes(digest.into())
}

/// An inclusive hash-key range `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashKeyRange {
    pub start: u128,
    pub end: u128,
}

impl HashKeyRange {
    pub const FULL: HashKeyRange = HashKeyRange { start: 0, end: u128::MAX };

    pub fn contains(&self, key: u128) -> bool {
        self.start <= key && key <= self.end
    }
}

/// Splits `[0, 2^128)` into `n` ranges exactly as AWS does: `step = floor(2^128 / n)`, shard `i`
/// covers `[i*step, (i+1)*step - 1]`, and the last shard ends at `2^128 - 1`.
///
/// # Panics
/// If `n` is zero.
pub fn even_ranges(n: u32) -> Vec<HashKeyRange> {
    assert!(n > 0, "a stream has at least one shard");
    if n == 1 {
        return vec![HashKeyRange::FULL];
    }
    let n128 = u128::from(n);
    // floor(2^128 / n) without overflow: floor((2^128 - 1) / n), plus one when n divides 2^128.
    let step = u128::MAX / n128 + u128::from(u128::MAX % n128 == n128 - 1);
    (0..n128)
        .map(|i| HashKeyRange { start: i * step, end: if i == n128 - 1 { u128::MAX } else { (i + 1) * step - 1 } })
        .collect()
}

/// Parses a decimal hash key as AWS accepts it in `ExplicitHashKey` (`0|([1-9]\d{0,38})`);
/// `None` when it is not a number below 2^128.
pub fn parse_hash_key(s: &str) -> Option<u128> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u128>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn md5_of_known_keys() {
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(partition_hash("a"), 0x0cc175b9c0f1b6a831c399e269772661);
    }

    #[test]
    fn ranges_match_aws_for_small_counts() {
        let r = even_ranges(2);
        assert_eq!(r[0], HashKeyRange { start: 0, end: (1u128 << 127) - 1 });
        assert_eq!(r[1], HashKeyRange { start: 1u128 << 127, end: u128::MAX });
        let r = even_ranges(3);
        // AWS: 113427455640312821154458202477256070484 is the first shard's end of 3.
        assert_eq!(r[0].end, 113427455640312821154458202477256070484);
        assert_eq!(r[1].start, 113427455640312821154458202477256070485);
        assert_eq!(r[2].end, u128::MAX);
    }

    #[test]
    fn parse_hash_key_rules() {
        assert_eq!(parse_hash_key("0"), Some(0));
        assert_eq!(parse_hash_key("340282366920938463463374607431768211455"), Some(u128::MAX));
        assert_eq!(parse_hash_key("340282366920938463463374607431768211456"), None);
        assert_eq!(parse_hash_key("01"), None);
        assert_eq!(parse_hash_key("-1"), None);
        assert_eq!(parse_hash_key(""), None);
    }

    proptest! {
        #[test]
        fn even_ranges_partition_the_key_space(n in 1u32..=20_000) {
            let r = even_ranges(n);
            prop_assert_eq!(r.len(), n as usize);
            prop_assert_eq!(r[0].start, 0);
            prop_assert_eq!(r[r.len() - 1].end, u128::MAX);
            for w in r.windows(2) {
                prop_assert!(w[0].start <= w[0].end);
                prop_assert_eq!(w[0].end.checked_add(1), Some(w[1].start));
            }
        }

        #[test]
        fn every_key_lands_in_exactly_one_range(n in 1u32..=64, key in any::<u128>()) {
            let r = even_ranges(n);
            prop_assert_eq!(r.iter().filter(|x| x.contains(key)).count(), 1);
        }
    }
}
