//! Typed shapes of each service's operations, with their member tables.

pub mod fast;
pub mod kinesis;
pub mod leases;
