//! Riffle's client toolkit, built on the official `aws-sdk-kinesis`, for Riffle and for AWS:
//!
//! - [`producer`]: a KPL-style producer (collection, aggregation, deadlines, retries,
//!   per-shard pacing, metrics, graceful flush);
//! - [`agg`]: the KPL aggregated-record format, both ways;
//! - [`consumer`]: a KCL-style consumer (leases, balancing, lineage, checkpoints, polling or
//!   enhanced fan-out), with leases kept in Riffle ([`leases`]) instead of DynamoDB;
//! - [`shards`]: a stream's shard map, to predict where a record lands;
//! - [`connect`]: a client for an endpoint with credentials from the environment.
//!
//! ```no_run
//! # async fn run() -> Result<(), riffle_client::Error> {
//! let client = riffle_client::connect(&riffle_client::Endpoint::local());
//! let producer = riffle_client::producer::Producer::new(client, "events", Default::default()).await?;
//! producer.put("user-1", "clicked").await?;
//! producer.shutdown().await;
//! # Ok(()) }
//! ```

pub mod agg;
pub mod consumer;
pub mod leases;
pub mod producer;
pub mod shards;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};

/// Errors of the client toolkit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The service answered with an error.
    #[error("{code}: {message}")]
    Service { code: String, message: String },
    /// The call did not get an answer (connection refused, timeout, bad response).
    #[error("transport error: {0}")]
    Transport(String),
    /// A record kept failing until its time to live ran out.
    #[error("record expired after {attempts} attempts; last error: {last}")]
    Expired { attempts: u32, last: Box<Error> },
    /// The producer was shut down.
    #[error("the producer is shut down")]
    Closed,
    /// The service answered something unexpected.
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// Another worker took this lease.
    #[error("the lease {0} was taken by another worker")]
    LeaseLost(String),
}

impl Error {
    /// Converts an SDK error: service errors keep their code and message.
    pub fn from_sdk<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
        e: SdkError<E, R>,
    ) -> Error {
        match e.code() {
            Some(code) => {
                Error::Service { code: code.to_string(), message: e.message().unwrap_or_default().to_string() }
            }
            None => Error::Transport(aws_sdk_kinesis::error::DisplayErrorContext(&e).to_string()),
        }
    }

    /// The AWS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Service { code, .. } => matches!(
                code.as_str(),
                "ProvisionedThroughputExceededException"
                    | "InternalFailure"
                    | "InternalFailureException"
                    | "ServiceUnavailable"
                    | "ThrottlingException"
                    | "LimitExceededException"
                    | "KMSThrottlingException"
            ),
            _ => false,
        }
    }
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `None` for AWS's own endpoint of the region.
    pub url: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Endpoint {
    /// A local Riffle on its default port, with credentials and region from the environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`) or
    /// placeholders that a server with `--auth off` accepts.
    pub fn local() -> Endpoint {
        Endpoint::from_env(Some("http://127.0.0.1:4567".into()))
    }

    /// `url` (or AWS when `None`) with credentials and region from the environment.
    pub fn from_env(url: Option<String>) -> Endpoint {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Endpoint {
            url,
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into()),
            access_key_id: var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "riffle".into()),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "riffle".into()),
            session_token: var("AWS_SESSION_TOKEN"),
        }
    }
}

/// A Kinesis client for `endpoint`: plain HTTP or HTTPS (rustls), the SDK's standard retries.
pub fn connect(endpoint: &Endpoint) -> Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut conf = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(endpoint.region.clone()))
        .credentials_provider(Credentials::new(
            &endpoint.access_key_id,
            &endpoint.secret_access_key,
            endpoint.session_token.clone(),
            None,
            "riffle",
        ))
        .http_client(http);
    if let Some(url) = &endpoint.url {
        conf = conf.endpoint_url(url);
    }
    Client::from_conf(conf.build())
}
