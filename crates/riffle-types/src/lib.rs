//! Riffle's domain types. Pure values validated at construction, with no I/O.
//!
//! - [`hash`]: 128-bit hash keys (MD5 of the partition key) and the even split of `[0, 2^128)`.
//! - [`seq`]: AWS-shaped 56-digit sequence numbers and their parts.
//! - [`names`]: stream names, shard ids and ARNs.
//! - [`time`]: epoch milliseconds and the clock trait every time-dependent layer uses.

pub mod hash;
pub mod names;
pub mod seq;
pub mod time;

pub use hash::{HashKeyRange, partition_hash};
pub use names::{ShardId, StreamName};
pub use seq::SequenceNumber;
pub use time::{Clock, SystemClock};
