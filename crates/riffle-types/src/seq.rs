//! AWS-shaped sequence numbers.
//!
//! AWS issues 56-digit decimal sequence numbers. Read as a 188-bit number in hex (47 digits), the
//! "version 2" layout is, from the most significant end:
//!
//! | bits | field |
//! |---|---|
//! | 4  | `2` (version) |
//! | 36 | shard creation time, epoch seconds |
//! | 4  | low nibble of the shard index |
//! | 64 | per-shard counter |
//! | 8  | reserved (0) |
//! | 36 | record arrival time, epoch seconds |
//! | 32 | shard index |
//! | 4  | `2` (version) |
//!
//! Invariants: within a shard the creation time and index are fixed, so numbers order exactly by
//! the counter; the value lies in `[2^185, 1.5 * 2^185)`, so it always renders as 56 digits and
//! string order equals numeric order. A shard's `StartingSequenceNumber` has counter 0.

use std::fmt;

/// The decoded parts of a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceNumber {
    pub shard_created_secs: u64,
    pub shard_index: u32,
    pub counter: u64,
    pub record_secs: u64,
}

const SECS_MASK: u64 = (1 << 36) - 1;

/// A 256-bit unsigned integer as two u128 halves; just enough arithmetic for this module.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct U256 {
    hi: u128,
    lo: u128,
}

impl U256 {
    fn push(self, width: u32, value: u128) -> U256 {
        debug_assert!(width > 0 && width < 128);
        U256 { hi: (self.hi << width) | (self.lo >> (128 - width)), lo: (self.lo << width) | value }
    }

    fn take(&mut self, width: u32) -> u128 {
        let v = self.lo & ((1u128 << width) - 1);
        self.lo = (self.lo >> width) | (self.hi << (128 - width));
        self.hi >>= width;
        v
    }

    fn limbs(self) -> [u64; 4] {
        [(self.hi >> 64) as u64, self.hi as u64, (self.lo >> 64) as u64, self.lo as u64]
    }

    fn from_limbs(l: [u64; 4]) -> U256 {
        U256 { hi: (u128::from(l[0]) << 64) | u128::from(l[1]), lo: (u128::from(l[2]) << 64) | u128::from(l[3]) }
    }

    /// Divides in place by `d`, returning the remainder.
    fn div_rem(&mut self, d: u64) -> u64 {
        let mut limbs = self.limbs();
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        *self = U256::from_limbs(limbs);
        rem as u64
    }

    /// `self * 10 + digit`, or `None` on overflow.
    fn mul10_add(self, digit: u64) -> Option<U256> {
        let mut limbs = self.limbs();
        let mut carry: u128 = u128::from(digit);
        for limb in limbs.iter_mut().rev() {
            let cur = u128::from(*limb) * 10 + carry;
            *limb = cur as u64;
            carry = cur >> 64;
        }
        (carry == 0).then(|| U256::from_limbs(limbs))
    }

    fn is_zero(self) -> bool {
        self.hi == 0 && self.lo == 0
    }
}

impl SequenceNumber {
    /// The starting sequence number of a shard: counter 0, record time = creation time.
    pub fn shard_start(shard_created_secs: u64, shard_index: u32) -> Self {
        SequenceNumber { shard_created_secs, shard_index, counter: 0, record_secs: shard_created_secs }
    }

    fn to_u256(self) -> U256 {
        U256::default()
            .push(4, 2)
            .push(36, u128::from(self.shard_created_secs & SECS_MASK))
            .push(4, u128::from(self.shard_index & 0xf))
            .push(64, u128::from(self.counter))
            .push(8, 0)
            .push(36, u128::from(self.record_secs & SECS_MASK))
            .push(32, u128::from(self.shard_index))
            .push(4, 2)
    }

    /// Parses a decimal sequence number in the version-2 layout. `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > 60 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut v = U256::default();
        for b in s.bytes() {
            v = v.mul10_add(u64::from(b - b'0'))?;
        }
        if v.hi >> 60 != 0 {
            return None; // wider than 188 bits
        }
        let mut v2 = v;
        if v2.take(4) != 2 {
            return None;
        }
        let shard_index = v2.take(32) as u32;
        let record_secs = v2.take(36) as u64;
        if v2.take(8) != 0 {
            return None;
        }
        let counter = v2.take(64) as u64;
        let _index_nibble = v2.take(4);
        let shard_created_secs = v2.take(36) as u64;
        if v2.take(4) != 2 || !v2.is_zero() {
            return None;
        }
        Some(SequenceNumber { shard_created_secs, shard_index, counter, record_secs })
    }
}

impl SequenceNumber {
    /// The decimal forms of this number and the next `n - 1` counters (same shard, same record
    /// time), without a big-number division per record: consecutive counters differ by
    /// exactly 2^80, so each string is the previous one plus the digits of 2^80.
    pub fn render_consecutive(&self, n: usize) -> Vec<String> {
        const STEP: &[u8] = b"1208925819614629174706176"; // 2^80
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        let mut digits: Vec<u8> = self.to_string().into_bytes();
        out.push(String::from_utf8(digits.clone()).expect("ascii digits"));
        for i in 1..n {
            if self.counter.checked_add(i as u64).is_none() {
                break;
            }
            // digits += STEP, from the right.
            let mut carry = 0u8;
            let mut di = digits.len();
            let mut si = STEP.len();
            while si > 0 || carry > 0 {
                let add = if si > 0 {
                    si -= 1;
                    STEP[si] - b'0'
                } else {
                    0
                };
                if di == 0 {
                    digits.insert(0, b'0');
                    di = 1;
                }
                di -= 1;
                let sum = digits[di] - b'0' + add + carry;
                digits[di] = b'0' + sum % 10;
                carry = sum / 10;
            }
            out.push(String::from_utf8(digits.clone()).expect("ascii digits"));
        }
        out
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19
        let mut v = self.to_u256();
        let mut parts = Vec::with_capacity(4);
        while !v.is_zero() {
            parts.push(v.div_rem(CHUNK));
        }
        let mut iter = parts.iter().rev();
        if let Some(first) = iter.next() {
            write!(f, "{first}")?;
        }
        for p in iter {
            write!(f, "{p:019}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_an_aws_observed_number() {
        // Observed from AWS-shaped output: shard 1, created 1795301041, record at 1795301046.
        let s = "49680442124850708683007679737608522921262544233221324818";
        let n = SequenceNumber::parse(s).expect("valid");
        assert_eq!(n.shard_index, 1);
        assert_eq!(n.shard_created_secs, 0x06b021eb1);
        assert_eq!(n.record_secs, 0x06b021eb6);
        assert_eq!(n.counter, 0);
        // That emulator left the index nibble at 0; we write the index's low nibble as AWS does.
        assert_eq!(n.to_string().len(), 56);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(SequenceNumber::parse(""), None);
        assert_eq!(SequenceNumber::parse("1"), None);
        assert_eq!(SequenceNumber::parse("abc"), None);
        assert_eq!(SequenceNumber::parse(&"9".repeat(57)), None);
    }

    proptest! {
        #[test]
        fn roundtrip_and_56_digits(created in 0u64..(1 << 36), idx in any::<u32>(), counter in any::<u64>(), rec in 0u64..(1 << 36)) {
            let n = SequenceNumber { shard_created_secs: created, shard_index: idx, counter, record_secs: rec };
            let s = n.to_string();
            prop_assert_eq!(s.len(), 56);
            prop_assert_eq!(SequenceNumber::parse(&s), Some(n));
        }

        #[test]
        fn consecutive_rendering_matches_display(created in 0u64..(1 << 36), idx in any::<u32>(), counter in any::<u64>(), rec in 0u64..(1 << 36), n in 0usize..40) {
            let first = SequenceNumber { shard_created_secs: created, shard_index: idx, counter, record_secs: rec };
            let fast = first.render_consecutive(n);
            let slow: Vec<String> = (0..n as u64)
                .map_while(|i| counter.checked_add(i))
                .map(|c| SequenceNumber { counter: c, ..first }.to_string())
                .collect();
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn order_follows_the_counter(created in 0u64..(1 << 36), idx in any::<u32>(), a in any::<u64>(), b in any::<u64>(), ra in 0u64..(1 << 36), rb in 0u64..(1 << 36)) {
            let x = SequenceNumber { shard_created_secs: created, shard_index: idx, counter: a, record_secs: ra };
            let y = SequenceNumber { shard_created_secs: created, shard_index: idx, counter: b, record_secs: rb };
            if a != b {
                prop_assert_eq!(a < b, x.to_string() < y.to_string());
            }
        }
    }
}
