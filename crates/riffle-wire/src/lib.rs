//! The AWS edge of Riffle, and nothing else: no storage, no HTTP server.
//!
//! - [`codec`]: `application/x-amz-json-1.1` and `application/x-amz-cbor-1.1` bodies.
//! - [`schema`]: member tables per operation, with AWS's type checks (`SerializationException`)
//!   and constraint messages (`ValidationException`).
//! - [`error`]: [`AwsError`], the one error envelope every layer's errors are mapped into.
//! - [`eventstream`]: `application/vnd.amazon.eventstream` frames for SubscribeToShard.
//! - [`router`]: the generic dispatcher from `X-Amz-Target` to a typed operation handler.
//! - [`sigv4`]: parsing of SigV4 `Authorization` headers and presigned query strings.
//! - [`model`]: the typed input and output shapes of each service.

pub mod codec;
pub mod error;
pub mod eventstream;
pub mod model;
pub mod router;
pub mod schema;
pub mod sigv4;
pub mod types;

pub use codec::Codec;
pub use error::AwsError;
pub use router::{Decoded, Operation, RequestContext, Router};
