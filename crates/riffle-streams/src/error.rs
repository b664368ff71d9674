//! The errors of the Data Streams service, and the one place they become AWS errors.
//! Each variant's text is AWS's message template for it.

use riffle_wire::AwsError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamsError {
    #[error("Stream {name} under account {account} not found.")]
    StreamNotFound { name: String, account: String },
    #[error("Stream {name} under account {account} already exists.")]
    StreamExists { name: String, account: String },
    #[error("Stream {name} under account {account} not ACTIVE, instead in state {status}")]
    StreamNotActive { name: String, account: String, status: &'static str },
    #[error("Shard {shard} in stream {name} under account {account} does not exist")]
    ShardNotFound { shard: String, name: String, account: String },
    #[error("Could not find shard {shard} in stream {name} under account {account}.")]
    ShardUnparseable { shard: String, name: String, account: String },
    #[error(
        "This request would exceed the shard limit for the account {account} in {region}. Current shard count for the account: {current}. Limit: {limit}. Number of additional shards that would have resulted from this request: {requested}. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits."
    )]
    ShardLimit { account: String, region: String, current: u32, limit: u32, requested: u32 },
    #[error("{0}")]
    LimitExceeded(String),
    #[error("Rate exceeded for shard {shard} in stream {name} under account {account}.")]
    Throughput { shard: String, name: String, account: String },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    ExpiredIterator(String),
    #[error("{0}")]
    KmsNotFound(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InUse(String),
    #[error("{0}")]
    ExpiredNextToken(String),
    /// A lease changed since the caller read it (the lease extension's compare-and-set).
    #[error("{0}")]
    ConditionalCheckFailed(String),
    #[error("shard log: {0}")]
    Log(#[from] riffle_log::LogError),
    #[error("catalog: {0}")]
    Meta(#[from] riffle_meta::MetaError),
}

pub type Result<T, E = StreamsError> = std::result::Result<T, E>;

impl From<StreamsError> for AwsError {
    fn from(e: StreamsError) -> AwsError {
        use StreamsError::*;
        let message = e.to_string();
        match e {
            StreamNotFound { .. } | ShardNotFound { .. } | ShardUnparseable { .. } | NotFound(_) => {
                AwsError::not_found(message)
            }
            StreamExists { .. } | StreamNotActive { .. } => AwsError::in_use(message),
            ShardLimit { .. } | LimitExceeded(_) => AwsError::limit_exceeded(message),
            Throughput { .. } => AwsError::new("ProvisionedThroughputExceededException", message),
            InvalidArgument(_) => AwsError::invalid_argument(message),
            Validation(_) => AwsError::validation(message),
            ExpiredIterator(_) => AwsError::new("ExpiredIteratorException", message),
            KmsNotFound(_) => AwsError::new("KMSNotFoundException", message),
            AccessDenied(_) => AwsError::new("AccessDeniedException", message),
            InUse(_) => AwsError::in_use(message),
            ExpiredNextToken(_) => AwsError::new("ExpiredNextTokenException", message),
            ConditionalCheckFailed(_) => AwsError::new("ConditionalCheckFailedException", message),
            Log(err) => {
                tracing::error!(error = %err, "shard log failure");
                AwsError::internal()
            }
            Meta(err) => {
                tracing::error!(error = %err, "catalog failure");
                AwsError::internal()
            }
        }
    }
}
