//! Riffle's lease-coordination extension: a small JSON 1.1 API under its own target prefix,
//! `RiffleLeases_20261122`, that consumer applications (the KCL-style consumer in
//! `riffle-client`) use to share a stream's shards among workers and keep checkpoints,
//! without DynamoDB. Leases are scoped to a stream and an application name; every change is a
//! compare-and-set on the lease's counter. See docs/adr/0001-lease-store.md.

use serde::{Deserialize, Serialize};

use super::kinesis::{STREAM_ARN, STREAM_NAME, StreamRef};
use crate::router::Operation;
use crate::schema::{Member, Rule::*, Ty, patterns};

/// The X-Amz-Target prefix of the extension.
pub const TARGET_PREFIX: &str = "RiffleLeases_20261122";

const APPLICATION: Member = Member::new(
    "ApplicationName",
    Ty::Str,
    &[NotNull, Pattern("[a-zA-Z0-9_.-]+", patterns::name), LenMin(1), LenMax(128)],
);
const LEASE_KEY: Member = Member::new("LeaseKey", Ty::Str, &[NotNull, LenMin(1), LenMax(256)]);
const COUNTER: Member = Member::new("ExpectedCounter", Ty::Long, &[NotNull, Min(0)]);
const OWNER: Member = Member::new("Owner", Ty::Str, &[LenMin(1), LenMax(256)]);
const CHECKPOINT: Member = Member::new("Checkpoint", Ty::Str, &[LenMin(1), LenMax(256)]);
const SUB: Member = Member::new("CheckpointSubSequenceNumber", Ty::Long, &[Min(0)]);
const PARENTS: Member = Member::new("ParentLeaseKeys", Ty::List(&Ty::Str, "String"), &[]);

/// One lease as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lease {
    pub lease_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub counter: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_sub_sequence_number: Option<u64>,
    pub parent_lease_keys: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LeaseOutput {
    pub lease: Lease,
}

/// `ListLeases`: every lease of an application on a stream.
pub struct ListLeases;
#[derive(Debug, Deserialize)]
pub struct ListLeasesInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ApplicationName")]
    pub application: String,
}
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLeasesOutput {
    pub leases: Vec<Lease>,
}
impl Operation for ListLeases {
    const NAME: &'static str = "ListLeases";
    const MEMBERS: &'static [Member] = &[APPLICATION, STREAM_NAME, STREAM_ARN];
    type Input = ListLeasesInput;
    type Output = ListLeasesOutput;
}

/// `CreateLease`: a new, unowned lease; `ConditionalCheckFailedException` if it exists.
pub struct CreateLease;
#[derive(Debug, Deserialize)]
pub struct CreateLeaseInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ApplicationName")]
    pub application: String,
    #[serde(rename = "LeaseKey")]
    pub lease_key: String,
    #[serde(rename = "Checkpoint")]
    pub checkpoint: Option<String>,
    #[serde(rename = "ParentLeaseKeys", default)]
    pub parents: Vec<String>,
}
impl Operation for CreateLease {
    const NAME: &'static str = "CreateLease";
    const MEMBERS: &'static [Member] = &[APPLICATION, LEASE_KEY, CHECKPOINT, PARENTS, STREAM_NAME, STREAM_ARN];
    type Input = CreateLeaseInput;
    type Output = LeaseOutput;
}

/// `UpdateLease`: sets the owner (absent: released) and, if given, the checkpoint, when the
/// lease's counter is still `ExpectedCounter`; the counter then goes up by one.
pub struct UpdateLease;
#[derive(Debug, Deserialize)]
pub struct UpdateLeaseInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ApplicationName")]
    pub application: String,
    #[serde(rename = "LeaseKey")]
    pub lease_key: String,
    #[serde(rename = "ExpectedCounter")]
    pub expected_counter: u64,
    #[serde(rename = "Owner")]
    pub owner: Option<String>,
    #[serde(rename = "Checkpoint")]
    pub checkpoint: Option<String>,
    #[serde(rename = "CheckpointSubSequenceNumber")]
    pub checkpoint_sub_sequence_number: Option<u64>,
}
impl Operation for UpdateLease {
    const NAME: &'static str = "UpdateLease";
    const MEMBERS: &'static [Member] =
        &[APPLICATION, LEASE_KEY, COUNTER, OWNER, CHECKPOINT, SUB, STREAM_NAME, STREAM_ARN];
    type Input = UpdateLeaseInput;
    type Output = LeaseOutput;
}

/// `DeleteLease`: removes a lease whose counter is still `ExpectedCounter`.
pub struct DeleteLease;
#[derive(Debug, Deserialize)]
pub struct DeleteLeaseInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ApplicationName")]
    pub application: String,
    #[serde(rename = "LeaseKey")]
    pub lease_key: String,
    #[serde(rename = "ExpectedCounter")]
    pub expected_counter: u64,
}
impl Operation for DeleteLease {
    const NAME: &'static str = "DeleteLease";
    const MEMBERS: &'static [Member] = &[APPLICATION, LEASE_KEY, COUNTER, STREAM_NAME, STREAM_ARN];
    const EMPTY_OUTPUT: bool = true;
    type Input = DeleteLeaseInput;
    type Output = super::kinesis::Empty;
}
