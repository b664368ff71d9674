//! The `riffle` tools: stream management, put, tail, the data generator and the shard
//! planner. They speak to any Kinesis endpoint (Riffle by default, or AWS) through the
//! official SDK and the `riffle-client` producer.

pub mod agent;
pub mod generate;
pub mod plan;
pub mod put;
pub mod stream;
pub mod tail;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::types::Shard;

/// Where to connect, and how to print.
#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// The Kinesis endpoint (a running Riffle, or https://kinesis.<region>.amazonaws.com).
    #[arg(long, global = true, env = "RIFFLE_ENDPOINT", default_value = "http://127.0.0.1:4567")]
    pub endpoint: String,
    /// Print JSON lines instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Conn {
    /// A client with credentials and region from the environment (placeholders otherwise).
    pub fn client(&self) -> Client {
        riffle_client::connect(&riffle_client::Endpoint::from_env(Some(self.endpoint.clone())))
    }
}

/// An SDK error as `Code: message`.
pub fn sdk<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> anyhow::Error {
    riffle_client::Error::from_sdk(e).into()
}

/// Every shard of a stream, open and closed.
pub async fn list_shards(k: &Client, stream: &str) -> anyhow::Result<Vec<Shard>> {
    Ok(riffle_client::shards::list_shards(k, stream).await?)
}

/// A time as RFC 3339 in UTC with milliseconds: `2026-11-22T03:39:45.601Z`.
pub fn rfc3339(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli, _) = riffle_types::time::civil(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}
