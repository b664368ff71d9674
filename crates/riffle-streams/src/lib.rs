//! The Kinesis Data Streams service. It takes typed inputs from [`riffle_wire`]'s router and
//! returns typed outputs or [`StreamsError`]s; it never sees HTTP.
//!
//! - [`service`]: the service state (catalog cache, log, token sealer, clock) and background work.
//! - [`ops`]: one file per operation.
//! - [`shard_map`]: hash-key routing and the shapes of shards.
//! - [`token`]: sealed shard iterators and pagination tokens.

pub mod autoscale;
pub mod crypto;
pub mod error;
pub mod fanout;
pub mod leases;
pub mod limits;
pub mod ops;
mod put;
mod read;
pub mod reshard;
pub mod service;
pub mod shard_map;
pub mod tags;
pub mod token;

pub use error::StreamsError;
pub use service::{StreamsConfig, StreamsService};
