//! Kinesis Data Streams (`Kinesis_20131202`): operation types, member tables in AWS's order, and
//! input/output shapes. Constraints follow the botocore model; member order and messages follow
//! what AWS answers (see docs/wire-protocols.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::router::Operation;
use crate::schema::{Member, Rule::*, Ty, patterns};
use crate::types::{Blob, Text, Timestamp};

/// The `X-Amz-Target` prefix of the service.
pub const TARGET_PREFIX: &str = "Kinesis_20131202";

/// Every operation of the current API (botocore 1.43), built or not.
pub const ALL_OPERATIONS: &[&str] = &[
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteResourcePolicy",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeAccountSettings",
    "DescribeLimits",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForResource",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "PutResourcePolicy",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "SubscribeToShard",
    "TagResource",
    "UntagResource",
    "UpdateAccountSettings",
    "UpdateMaxRecordSize",
    "UpdateShardCount",
    "UpdateStreamMode",
    "UpdateStreamWarmThroughput",
];

const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
const STREAM_ARN_PATTERN: &str = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";

pub(crate) const STREAM_NAME: Member = Member::new(
    "StreamName",
    Ty::Str,
    &[NotNullUnless("StreamARN"), Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)],
);
const STREAM_NAME_REQUIRED: Member =
    Member::new("StreamName", Ty::Str, &[NotNull, Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)]);
const STREAM_NAME_OPTIONAL: Member =
    Member::new("StreamName", Ty::Str, &[Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)]);
pub(crate) const STREAM_ARN: Member =
    Member::new("StreamARN", Ty::Str, &[Pattern(STREAM_ARN_PATTERN, patterns::stream_arn), LenMin(1), LenMax(2048)]);
const STREAM_ID: Member = Member::new(
    "StreamId",
    Ty::Str,
    &[Pattern("[a-z0-9]{20}-[a-z0-9]{3}", patterns::stream_id), LenMin(1), LenMax(24)],
);
const RESOURCE_ARN: Member = Member::new(
    "ResourceARN",
    Ty::Str,
    &[NotNull, Pattern("arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+", patterns::resource_arn), LenMin(1), LenMax(2048)],
);
const SHARD_ID_RULES: &[crate::schema::Rule] = &[Pattern(NAME_PATTERN, patterns::shard_id), LenMin(1), LenMax(128)];
const TAGS_RULES: &[crate::schema::Rule] = &[NotNull, LenMin(1), LenMax(200), MapKeysLen(1, 128), MapValuesLen(0, 256)];
const TAG_KEYS_RULES: &[crate::schema::Rule] = &[NotNull, LenMin(1), LenMax(50), ItemsLen(1, 128)];
const TAG_MAP: Ty = Ty::Map(&Ty::Str);
const TAG_KEYS: Ty = Ty::List(&Ty::Str, "");
const STREAM_MODE_DETAILS: Ty =
    Ty::Struct(&[Member::new("StreamMode", Ty::Str, &[NotNull, Enum(&["PROVISIONED", "ON_DEMAND"])])]);

/// Declares an operation type bound to its member table and shapes.
macro_rules! operation {
    ($ty:ident, $input:ty, $output:ty, $members:expr) => {
        operation!($ty, $input, $output, $members, false);
    };
    ($ty:ident, $input:ty, $output:ty, $members:expr, fast = $fast:path) => {
        #[doc = concat!("The `", stringify!($ty), "` operation.")]
        pub struct $ty;
        impl Operation for $ty {
            const NAME: &'static str = stringify!($ty);
            const MEMBERS: &'static [Member] = $members;
            type Input = $input;
            type Output = $output;
            fn fast_json(body: &[u8]) -> Option<(Self::Input, serde_json::Value)> {
                $fast(body)
            }
        }
    };
    ($ty:ident, $input:ty, $output:ty, $members:expr, encode = $encode:path) => {
        #[doc = concat!("The `", stringify!($ty), "` operation.")]
        pub struct $ty;
        impl Operation for $ty {
            const NAME: &'static str = stringify!($ty);
            const MEMBERS: &'static [Member] = $members;
            type Input = $input;
            type Output = $output;
            fn encode(output: &Self::Output, codec: crate::codec::Codec) -> Vec<u8> {
                $encode(output, codec)
            }
        }
    };
    ($ty:ident, $input:ty, $output:ty, $members:expr, $empty:expr) => {
        #[doc = concat!("The `", stringify!($ty), "` operation.")]
        pub struct $ty;
        impl Operation for $ty {
            const NAME: &'static str = stringify!($ty);
            const MEMBERS: &'static [Member] = $members;
            const EMPTY_OUTPUT: bool = $empty;
            type Input = $input;
            type Output = $output;
        }
    };
}

/// Addresses a stream by name or ARN (and the reserved StreamId).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamRef {
    #[serde(rename = "StreamName")]
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
}

/// An empty output.
#[derive(Debug, Default, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamModeDetails {
    #[serde(rename = "StreamMode")]
    pub stream_mode: String,
}

// ---- CreateStream ----
operation!(
    CreateStream,
    CreateStreamInput,
    Empty,
    &[
        Member::new("ShardCount", Ty::Int, &[Min(1)]),
        STREAM_NAME_REQUIRED,
        Member::new("StreamModeDetails", STREAM_MODE_DETAILS, &[]),
        Member::new("Tags", TAG_MAP, &[LenMin(1), LenMax(200), MapKeysLen(1, 128), MapValuesLen(0, 256)]),
        Member::new("WarmThroughputMiBps", Ty::Int, &[Min(0)]),
        Member::new("MaxRecordSizeInKiB", Ty::Int, &[Min(1024), Max(10240)]),
    ],
    true
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateStreamInput {
    pub stream_name: String,
    pub shard_count: Option<u32>,
    pub stream_mode_details: Option<StreamModeDetails>,
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(rename = "WarmThroughputMiBps")]
    pub warm_throughput_mibps: Option<u32>,
    #[serde(rename = "MaxRecordSizeInKiB")]
    pub max_record_size_in_kib: Option<u32>,
}

// ---- DeleteStream ----
operation!(
    DeleteStream,
    DeleteStreamInput,
    Empty,
    &[STREAM_NAME, Member::new("EnforceConsumerDeletion", Ty::Bool, &[]), STREAM_ARN, STREAM_ID,],
    true
);

#[derive(Debug, Deserialize)]
pub struct DeleteStreamInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "EnforceConsumerDeletion")]
    pub enforce_consumer_deletion: Option<bool>,
}

// ---- DescribeStream ----
operation!(
    DescribeStream,
    DescribeStreamInput,
    DescribeStreamOutput,
    &[
        Member::new("Limit", Ty::Int, &[Min(1), Max(10000)]),
        Member::new("ExclusiveStartShardId", Ty::Str, SHARD_ID_RULES),
        STREAM_NAME,
        STREAM_ARN,
        STREAM_ID,
    ]
);

#[derive(Debug, Deserialize)]
pub struct DescribeStreamInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "Limit")]
    pub limit: Option<u32>,
    #[serde(rename = "ExclusiveStartShardId")]
    pub exclusive_start_shard_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HashKeyRange {
    pub starting_hash_key: String,
    pub ending_hash_key: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRange {
    pub starting_sequence_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    pub shard_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjacent_parent_shard_id: Option<String>,
    pub hash_key_range: HashKeyRange,
    pub sequence_number_range: SequenceNumberRange,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMetrics {
    pub shard_level_metrics: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescription {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetails,
    pub shards: Vec<Shard>,
    pub has_more_shards: bool,
    pub retention_period_hours: u32,
    pub stream_creation_timestamp: Timestamp,
    pub enhanced_monitoring: Vec<EnhancedMetrics>,
    pub encryption_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamOutput {
    pub stream_description: StreamDescription,
}

// ---- DescribeStreamSummary ----
operation!(DescribeStreamSummary, StreamOnlyInput, DescribeStreamSummaryOutput, &[STREAM_NAME, STREAM_ARN, STREAM_ID]);

/// The input of operations that only name a stream.
#[derive(Debug, Deserialize)]
pub struct StreamOnlyInput {
    #[serde(flatten)]
    pub stream: StreamRef,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescriptionSummary {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetails,
    pub retention_period_hours: u32,
    pub stream_creation_timestamp: Timestamp,
    pub enhanced_monitoring: Vec<EnhancedMetrics>,
    pub encryption_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub open_shard_count: u32,
    pub consumer_count: u32,
    #[serde(rename = "MaxRecordSizeInKiB")]
    pub max_record_size_in_kib: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughput>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamSummaryOutput {
    pub stream_description_summary: StreamDescriptionSummary,
}

// ---- ListStreams ----
operation!(
    ListStreams,
    ListStreamsInput,
    ListStreamsOutput,
    &[
        Member::new("Limit", Ty::Int, &[Min(1), Max(10000)]),
        Member::new(
            "ExclusiveStartStreamName",
            Ty::Str,
            &[Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)]
        ),
        Member::new("NextToken", Ty::Str, &[LenMin(1), LenMax(1048576)]),
    ]
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsInput {
    pub limit: Option<u32>,
    pub exclusive_start_stream_name: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSummary {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetails,
    pub stream_creation_timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsOutput {
    pub stream_names: Vec<String>,
    pub has_more_streams: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub stream_summaries: Vec<StreamSummary>,
}

// ---- ListShards ----
operation!(
    ListShards,
    ListShardsInput,
    ListShardsOutput,
    &[
        Member::new("ExclusiveStartShardId", Ty::Str, SHARD_ID_RULES),
        Member::new("MaxResults", Ty::Int, &[Min(1), Max(10000)]),
        Member::new("NextToken", Ty::Str, &[LenMin(1), LenMax(1048576)]),
        Member::new("StreamCreationTimestamp", Ty::Timestamp, &[]),
        STREAM_NAME_OPTIONAL,
        Member::new(
            "ShardFilter",
            Ty::Struct(&[
                Member::new(
                    "Type",
                    Ty::Str,
                    &[
                        NotNull,
                        Enum(&[
                            "AFTER_SHARD_ID",
                            "AT_TRIM_HORIZON",
                            "FROM_TRIM_HORIZON",
                            "AT_LATEST",
                            "AT_TIMESTAMP",
                            "FROM_TIMESTAMP"
                        ])
                    ]
                ),
                Member::new("ShardId", Ty::Str, SHARD_ID_RULES),
                Member::new("Timestamp", Ty::Timestamp, &[]),
            ]),
            &[]
        ),
        STREAM_ARN,
        STREAM_ID,
    ]
);

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShardFilter {
    #[serde(rename = "Type")]
    pub kind: String,
    pub shard_id: Option<String>,
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
pub struct ListShardsInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ExclusiveStartShardId")]
    pub exclusive_start_shard_id: Option<String>,
    #[serde(rename = "MaxResults")]
    pub max_results: Option<u32>,
    #[serde(rename = "NextToken")]
    pub next_token: Option<String>,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Option<Timestamp>,
    #[serde(rename = "ShardFilter")]
    pub shard_filter: Option<ShardFilter>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListShardsOutput {
    pub shards: Vec<Shard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- PutRecord ----
const DATA_MAX: usize = 10_485_760;

operation!(PutRecord, PutRecordInput, PutRecordOutput, PUT_RECORD_MEMBERS, fast = super::fast::put_record);

const PUT_RECORD_MEMBERS: &[Member] = &[
    Member::new("SequenceNumberForOrdering", Ty::Str, &[Pattern("0|([1-9]\\d{0,128})", patterns::sequence_number)]),
    Member::new("PartitionKey", Ty::Str, &[NotNull, LenMin(1), LenMax(256)]),
    Member::new("ExplicitHashKey", Ty::Str, &[Pattern("0|([1-9]\\d{0,38})", patterns::hash_key)]),
    Member::new("Data", Ty::Blob, &[NotNull, LenMax(DATA_MAX)]),
    STREAM_NAME,
    STREAM_ARN,
    STREAM_ID,
];

#[derive(Debug, Deserialize)]
pub struct PutRecordInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "Data")]
    pub data: Blob,
    #[serde(rename = "PartitionKey")]
    pub partition_key: String,
    #[serde(rename = "ExplicitHashKey")]
    pub explicit_hash_key: Option<String>,
    #[serde(rename = "SequenceNumberForOrdering")]
    pub sequence_number_for_ordering: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordOutput {
    pub shard_id: String,
    pub sequence_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_type: Option<&'static str>,
}

// ---- PutRecords ----
operation!(PutRecords, PutRecordsInput, PutRecordsOutput, PUT_RECORDS_MEMBERS, fast = super::fast::put_records);

const PUT_RECORDS_MEMBERS: &[Member] = &[
    Member::new(
        "Records",
        Ty::List(
            &Ty::Struct(&[
                Member::new("PartitionKey", Ty::Str, &[NotNull, LenMin(1), LenMax(256)]),
                Member::new("ExplicitHashKey", Ty::Str, &[Pattern("0|([1-9]\\d{0,38})", patterns::hash_key)]),
                Member::new("Data", Ty::Blob, &[NotNull, LenMax(DATA_MAX)]),
            ]),
            "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry",
        ),
        &[NotNull, LenMin(1), LenMax(500)],
    ),
    STREAM_NAME,
    STREAM_ARN,
    STREAM_ID,
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsEntry {
    pub data: Blob,
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PutRecordsInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "Records")]
    pub records: Vec<PutRecordsEntry>,
}

#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsResultEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsOutput {
    pub failed_record_count: u32,
    pub records: Vec<PutRecordsResultEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_type: Option<&'static str>,
}

// ---- GetShardIterator ----
pub const ITERATOR_TYPES: &[&str] =
    &["AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"];

operation!(
    GetShardIterator,
    GetShardIteratorInput,
    GetShardIteratorOutput,
    &[
        Member::new("ShardId", Ty::Str, &[NotNull, Pattern(NAME_PATTERN, patterns::shard_id), LenMin(1), LenMax(128)]),
        Member::new("ShardIteratorType", Ty::Str, &[NotNull, Enum(ITERATOR_TYPES)]),
        Member::new("StartingSequenceNumber", Ty::Str, &[Pattern("0|([1-9]\\d{0,128})", patterns::sequence_number)]),
        STREAM_NAME,
        Member::new("Timestamp", Ty::Timestamp, &[]),
        STREAM_ARN,
        STREAM_ID,
    ]
);

#[derive(Debug, Deserialize)]
pub struct GetShardIteratorInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(rename = "ShardIteratorType")]
    pub shard_iterator_type: String,
    #[serde(rename = "StartingSequenceNumber")]
    pub starting_sequence_number: Option<String>,
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorOutput {
    pub shard_iterator: String,
}

// ---- GetRecords ----
operation!(
    GetRecords,
    GetRecordsInput,
    GetRecordsOutput,
    &[
        Member::new("Limit", Ty::Int, &[Min(1), Max(10000)]),
        Member::new("ShardIterator", Ty::Str, &[NotNull, LenMin(1), LenMax(512)]),
        STREAM_ARN,
        STREAM_ID,
    ],
    encode = super::fast::get_records_output
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    pub shard_iterator: String,
    pub limit: Option<u32>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Record {
    pub sequence_number: String,
    pub approximate_arrival_timestamp: Timestamp,
    pub data: Blob,
    pub partition_key: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChildShard {
    pub shard_id: String,
    pub parent_shards: Vec<String>,
    pub hash_key_range: HashKeyRange,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsOutput {
    pub records: Vec<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
    pub millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_shards: Option<Vec<ChildShard>>,
}

// ---- Retention ----
const RETENTION_MEMBERS: &[Member] =
    &[Member::new("RetentionPeriodHours", Ty::Int, &[NotNull, Min(1)]), STREAM_NAME, STREAM_ARN, STREAM_ID];
operation!(IncreaseStreamRetentionPeriod, RetentionInput, Empty, RETENTION_MEMBERS, true);
operation!(DecreaseStreamRetentionPeriod, RetentionInput, Empty, RETENTION_MEMBERS, true);

#[derive(Debug, Deserialize)]
pub struct RetentionInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "RetentionPeriodHours")]
    pub retention_period_hours: i64,
}

// ---- Tags ----
operation!(
    AddTagsToStream,
    AddTagsInput,
    Empty,
    &[Member::new("Tags", TAG_MAP, TAGS_RULES), STREAM_NAME, STREAM_ARN, STREAM_ID,],
    true
);

#[derive(Debug, Deserialize)]
pub struct AddTagsInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "Tags")]
    pub tags: BTreeMap<String, String>,
}

operation!(
    RemoveTagsFromStream,
    RemoveTagsInput,
    Empty,
    &[Member::new("TagKeys", TAG_KEYS, TAG_KEYS_RULES), STREAM_NAME, STREAM_ARN, STREAM_ID,],
    true
);

#[derive(Debug, Deserialize)]
pub struct RemoveTagsInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "TagKeys")]
    pub tag_keys: Vec<String>,
}

operation!(
    ListTagsForStream,
    ListTagsForStreamInput,
    ListTagsForStreamOutput,
    &[
        Member::new("Limit", Ty::Int, &[Min(1), Max(50)]),
        Member::new("ExclusiveStartTagKey", Ty::Str, &[LenMin(1), LenMax(128)]),
        STREAM_NAME,
        STREAM_ARN,
        STREAM_ID,
    ]
);

#[derive(Debug, Deserialize)]
pub struct ListTagsForStreamInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "Limit")]
    pub limit: Option<u32>,
    #[serde(rename = "ExclusiveStartTagKey")]
    pub exclusive_start_tag_key: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForStreamOutput {
    pub tags: Vec<Tag>,
    pub has_more_tags: bool,
}

operation!(TagResource, TagResourceInput, Empty, &[Member::new("Tags", TAG_MAP, TAGS_RULES), RESOURCE_ARN], true);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    pub tags: BTreeMap<String, String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

operation!(
    UntagResource,
    UntagResourceInput,
    Empty,
    &[Member::new("TagKeys", TAG_KEYS, TAG_KEYS_RULES), RESOURCE_ARN],
    true
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    pub tag_keys: Vec<String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

operation!(ListTagsForResource, ListTagsForResourceInput, ListTagsForResourceOutput, &[RESOURCE_ARN]);

#[derive(Debug, Deserialize)]
pub struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
}

// ---- DescribeLimits ----
operation!(DescribeLimits, NoInput, DescribeLimitsOutput, &[]);

/// The input of operations that take none.
#[derive(Debug, Deserialize)]
pub struct NoInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLimitsOutput {
    pub shard_limit: u32,
    pub open_shard_count: u32,
    pub on_demand_stream_count: u32,
    pub on_demand_stream_count_limit: u32,
}

/// Decodes `body` and runs it through every operation's schema check and typed
/// deserialization, discarding the results. The fuzz targets and the decoder property tests
/// call this: any input may fail, none may panic.
pub fn fuzz_all_operations(codec: crate::Codec, body: &[u8]) {
    fn one<O: Operation>(v: &serde_json::Value) {
        let mut v = v.clone();
        if crate::schema::check(O::MEMBERS, &mut v).is_ok() {
            let _ = serde_json::from_value::<O::Input>(v);
        }
    }
    let Ok(v) = codec.decode(body) else { return };
    one::<AddTagsToStream>(&v);
    one::<CreateStream>(&v);
    one::<DecreaseStreamRetentionPeriod>(&v);
    one::<DeleteStream>(&v);
    one::<DescribeLimits>(&v);
    one::<DescribeStream>(&v);
    one::<DescribeStreamSummary>(&v);
    one::<GetRecords>(&v);
    one::<GetShardIterator>(&v);
    one::<IncreaseStreamRetentionPeriod>(&v);
    one::<ListShards>(&v);
    one::<ListStreams>(&v);
    one::<ListTagsForResource>(&v);
    one::<ListTagsForStream>(&v);
    one::<PutRecord>(&v);
    one::<PutRecords>(&v);
    one::<RemoveTagsFromStream>(&v);
    one::<TagResource>(&v);
    one::<UntagResource>(&v);
    one::<SplitShard>(&v);
    one::<MergeShards>(&v);
    one::<UpdateShardCount>(&v);
    one::<EnableEnhancedMonitoring>(&v);
    one::<DisableEnhancedMonitoring>(&v);
    one::<UpdateMaxRecordSize>(&v);
    one::<UpdateStreamMode>(&v);
    one::<UpdateStreamWarmThroughput>(&v);
    one::<DescribeAccountSettings>(&v);
    one::<UpdateAccountSettings>(&v);
    one::<StartStreamEncryption>(&v);
    one::<StopStreamEncryption>(&v);
    one::<PutResourcePolicy>(&v);
    one::<GetResourcePolicy>(&v);
    one::<DeleteResourcePolicy>(&v);
    one::<RegisterStreamConsumer>(&v);
    one::<DescribeStreamConsumer>(&v);
    one::<DeregisterStreamConsumer>(&v);
    one::<ListStreamConsumers>(&v);
    one::<SubscribeToShard>(&v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Codec;
    use proptest::prelude::*;

    /// JSON values shaped like Kinesis requests: real member names with values of any type.
    fn request() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(
                |f| serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            ),
            "[a-zA-Z0-9+/=_.:-]{0,40}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[A-Za-z]{1,12}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let names = prop::sample::select(vec![
            "StreamName",
            "StreamARN",
            "ShardCount",
            "Records",
            "Data",
            "PartitionKey",
            "ExplicitHashKey",
            "ShardId",
            "ShardIteratorType",
            "StartingSequenceNumber",
            "Timestamp",
            "ShardIterator",
            "Limit",
            "Tags",
            "TagKeys",
            "ShardFilter",
            "NextToken",
            "MaxResults",
            "RetentionPeriodHours",
            "StreamModeDetails",
            "ResourceARN",
        ]);
        prop::collection::vec((names, value), 0..6)
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            fuzz_all_operations(Codec::Json, &bytes);
            fuzz_all_operations(Codec::Cbor, &bytes);
        }

        #[test]
        fn request_shaped_values_never_panic_and_codecs_agree(v in request()) {
            let json = serde_json::to_vec(&v).unwrap();
            fuzz_all_operations(Codec::Json, &json);
            // The same request in CBOR decodes to the same value and gets the same verdict.
            let mut cbor = Vec::new();
            ciborium::into_writer(&v, &mut cbor).unwrap();
            fuzz_all_operations(Codec::Cbor, &cbor);
            let from_json = Codec::Json.decode(&json).unwrap();
            let from_cbor = Codec::Cbor.decode(&cbor).unwrap();
            let verdict = |mut x: serde_json::Value| crate::schema::check(PutRecords::MEMBERS, &mut x).map_err(|e| e.code);
            prop_assert_eq!(verdict(from_json), verdict(from_cbor));
        }
    }
}

// ---- Resharding ----
const SHARD_ID_REQUIRED: &[crate::schema::Rule] =
    &[NotNull, Pattern(NAME_PATTERN, patterns::shard_id), LenMin(1), LenMax(128)];

operation!(
    SplitShard,
    SplitShardInput,
    Empty,
    &[
        Member::new("NewStartingHashKey", Ty::Str, &[NotNull, Pattern("0|([1-9]\\d{0,38})", patterns::hash_key)]),
        Member::new("ShardToSplit", Ty::Str, SHARD_ID_REQUIRED),
        STREAM_NAME,
        STREAM_ARN,
        STREAM_ID,
    ],
    true
);

#[derive(Debug, Deserialize)]
pub struct SplitShardInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ShardToSplit")]
    pub shard_to_split: String,
    #[serde(rename = "NewStartingHashKey")]
    pub new_starting_hash_key: String,
}

operation!(
    MergeShards,
    MergeShardsInput,
    Empty,
    &[
        Member::new("AdjacentShardToMerge", Ty::Str, SHARD_ID_REQUIRED),
        Member::new("ShardToMerge", Ty::Str, SHARD_ID_REQUIRED),
        STREAM_NAME,
        STREAM_ARN,
        STREAM_ID,
    ],
    true
);

#[derive(Debug, Deserialize)]
pub struct MergeShardsInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ShardToMerge")]
    pub shard_to_merge: String,
    #[serde(rename = "AdjacentShardToMerge")]
    pub adjacent_shard_to_merge: String,
}

operation!(
    UpdateShardCount,
    UpdateShardCountInput,
    UpdateShardCountOutput,
    &[
        Member::new("ScalingType", Ty::Str, &[NotNull, Enum(&["UNIFORM_SCALING"])]),
        STREAM_NAME,
        Member::new("TargetShardCount", Ty::Int, &[NotNull, Min(1)]),
        STREAM_ARN,
        STREAM_ID,
    ]
);

#[derive(Debug, Deserialize)]
pub struct UpdateShardCountInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "TargetShardCount")]
    pub target_shard_count: u32,
    #[serde(rename = "ScalingType")]
    pub scaling_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountOutput {
    pub stream_name: String,
    pub current_shard_count: u32,
    pub target_shard_count: u32,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

// ---- Enhanced monitoring ----
pub const METRICS: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
];

const MONITORING_MEMBERS: &[Member] = &[
    STREAM_NAME,
    Member::new("ShardLevelMetrics", Ty::List(&Ty::Str, ""), &[NotNull, LenMin(1), LenMax(7), ItemsEnum(METRICS)]),
    STREAM_ARN,
    STREAM_ID,
];
operation!(EnableEnhancedMonitoring, MonitoringInput, MonitoringOutput, MONITORING_MEMBERS);
operation!(DisableEnhancedMonitoring, MonitoringInput, MonitoringOutput, MONITORING_MEMBERS);

#[derive(Debug, Deserialize)]
pub struct MonitoringInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "ShardLevelMetrics")]
    pub shard_level_metrics: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringOutput {
    pub stream_name: String,
    pub current_shard_level_metrics: Vec<String>,
    pub desired_shard_level_metrics: Vec<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

// ---- UpdateMaxRecordSize ----
operation!(
    UpdateMaxRecordSize,
    UpdateMaxRecordSizeInput,
    Empty,
    &[STREAM_ARN, STREAM_ID, Member::new("MaxRecordSizeInKiB", Ty::Int, &[NotNull, Min(1024), Max(10240)]),],
    true
);

#[derive(Debug, Deserialize)]
pub struct UpdateMaxRecordSizeInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "MaxRecordSizeInKiB")]
    pub max_record_size_in_kib: u32,
}

// ---- UpdateStreamMode ----
operation!(
    UpdateStreamMode,
    UpdateStreamModeInput,
    Empty,
    &[
        Member::new(
            "StreamARN",
            Ty::Str,
            &[NotNull, Pattern(STREAM_ARN_PATTERN, patterns::stream_arn), LenMin(1), LenMax(2048)]
        ),
        STREAM_ID,
        Member::new("StreamModeDetails", STREAM_MODE_DETAILS, &[NotNull]),
        Member::new("WarmThroughputMiBps", Ty::Int, &[Min(0)]),
    ],
    true
);

#[derive(Debug, Deserialize)]
pub struct UpdateStreamModeInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "StreamModeDetails")]
    pub stream_mode_details: StreamModeDetails,
    #[serde(rename = "WarmThroughputMiBps")]
    pub warm_throughput_mibps: Option<u32>,
}

// ---- UpdateStreamWarmThroughput ----
operation!(
    UpdateStreamWarmThroughput,
    UpdateStreamWarmThroughputInput,
    UpdateStreamWarmThroughputOutput,
    &[STREAM_ARN, STREAM_NAME, STREAM_ID, Member::new("WarmThroughputMiBps", Ty::Int, &[NotNull, Min(0)]),]
);

#[derive(Debug, Deserialize)]
pub struct UpdateStreamWarmThroughputInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "WarmThroughputMiBps")]
    pub warm_throughput_mibps: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughput {
    #[serde(rename = "TargetMiBps")]
    pub target_mibps: u32,
    #[serde(rename = "CurrentMiBps")]
    pub current_mibps: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamWarmThroughputOutput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_name: String,
    pub warm_throughput: WarmThroughput,
}

// ---- Account settings ----
operation!(DescribeAccountSettings, NoInput, AccountSettingsOutput, &[]);
operation!(
    UpdateAccountSettings,
    UpdateAccountSettingsInput,
    AccountSettingsOutput,
    &[Member::new(
        "MinimumThroughputBillingCommitment",
        Ty::Struct(&[Member::new("Status", Ty::Str, &[NotNull, Enum(&["ENABLED", "DISABLED"])])]),
        &[NotNull],
    )]
);

#[derive(Debug, Deserialize)]
pub struct CommitmentInput {
    #[serde(rename = "Status")]
    pub status: String,
}

#[derive(Debug, Deserialize)]
pub struct UpdateAccountSettingsInput {
    #[serde(rename = "MinimumThroughputBillingCommitment")]
    pub minimum_throughput_billing_commitment: CommitmentInput,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommitmentOutput {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_allowed_end_at: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettingsOutput {
    pub minimum_throughput_billing_commitment: CommitmentOutput,
}

// ---- Encryption ----
const ENCRYPTION_MEMBERS: &[Member] = &[
    STREAM_NAME,
    Member::new("EncryptionType", Ty::Str, &[NotNull, Enum(&["NONE", "KMS"])]),
    Member::new("KeyId", Ty::Str, &[NotNull, LenMin(1), LenMax(2048)]),
    STREAM_ARN,
    STREAM_ID,
];
operation!(StartStreamEncryption, EncryptionInput, Empty, ENCRYPTION_MEMBERS, true);
operation!(StopStreamEncryption, EncryptionInput, Empty, ENCRYPTION_MEMBERS, true);

#[derive(Debug, Deserialize)]
pub struct EncryptionInput {
    #[serde(flatten)]
    pub stream: StreamRef,
    #[serde(rename = "EncryptionType")]
    pub encryption_type: String,
    #[serde(rename = "KeyId")]
    pub key_id: String,
}

// ---- Resource policies ----
operation!(
    PutResourcePolicy,
    PutResourcePolicyInput,
    Empty,
    &[RESOURCE_ARN, Member::new("Policy", Ty::Str, &[NotNull]),],
    true
);

#[derive(Debug, Deserialize)]
pub struct PutResourcePolicyInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "Policy")]
    pub policy: String,
}

operation!(GetResourcePolicy, ResourceArnInput, GetResourcePolicyOutput, &[RESOURCE_ARN]);
operation!(DeleteResourcePolicy, ResourceArnInput, Empty, &[RESOURCE_ARN], true);

#[derive(Debug, Deserialize)]
pub struct ResourceArnInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyOutput {
    pub policy: String,
}

// ---- Consumers (enhanced fan-out) ----
const CONSUMER_NAME: Member =
    Member::new("ConsumerName", Ty::Str, &[Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)]);
const CONSUMER_ARN: Member = Member::new(
    "ConsumerARN",
    Ty::Str,
    &[
        Pattern(
            "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
            patterns::consumer_arn,
        ),
        LenMin(1),
        LenMax(2048),
    ],
);
const STREAM_ARN_REQUIRED: Member = Member::new(
    "StreamARN",
    Ty::Str,
    &[NotNull, Pattern(STREAM_ARN_PATTERN, patterns::stream_arn), LenMin(1), LenMax(2048)],
);

operation!(
    RegisterStreamConsumer,
    RegisterStreamConsumerInput,
    RegisterStreamConsumerOutput,
    &[
        STREAM_ARN_REQUIRED,
        Member::new("ConsumerName", Ty::Str, &[NotNull, Pattern(NAME_PATTERN, patterns::name), LenMin(1), LenMax(128)]),
        STREAM_ID,
        Member::new("Tags", TAG_MAP, &[LenMin(1), LenMax(50), MapKeysLen(1, 128), MapValuesLen(0, 256)]),
    ]
);

#[derive(Debug, Deserialize)]
pub struct RegisterStreamConsumerInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "ConsumerName")]
    pub consumer_name: String,
    #[serde(rename = "Tags")]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Consumer {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerOutput {
    pub consumer: Consumer,
}

const CONSUMER_REF_MEMBERS: &[Member] = &[STREAM_ARN, CONSUMER_NAME, CONSUMER_ARN, STREAM_ID];
operation!(DescribeStreamConsumer, ConsumerRef, DescribeStreamConsumerOutput, CONSUMER_REF_MEMBERS);
operation!(DeregisterStreamConsumer, ConsumerRef, Empty, CONSUMER_REF_MEMBERS, true);

/// Names a consumer by ConsumerARN, or by StreamARN and ConsumerName.
#[derive(Debug, Deserialize)]
pub struct ConsumerRef {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    #[serde(rename = "ConsumerName")]
    pub consumer_name: Option<String>,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerDescription {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamConsumerOutput {
    pub consumer_description: ConsumerDescription,
}

operation!(
    ListStreamConsumers,
    ListStreamConsumersInput,
    ListStreamConsumersOutput,
    &[
        STREAM_ARN_REQUIRED,
        Member::new("NextToken", Ty::Str, &[LenMin(1), LenMax(1048576)]),
        Member::new("MaxResults", Ty::Int, &[Min(1), Max(10000)]),
        Member::new("StreamCreationTimestamp", Ty::Timestamp, &[]),
        STREAM_ID,
    ]
);

#[derive(Debug, Deserialize)]
pub struct ListStreamConsumersInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "NextToken")]
    pub next_token: Option<String>,
    #[serde(rename = "MaxResults")]
    pub max_results: Option<u32>,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersOutput {
    pub consumers: Vec<Consumer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

operation!(
    SubscribeToShard,
    SubscribeToShardInput,
    Empty,
    &[
        Member::new(
            "ConsumerARN",
            Ty::Str,
            &[
                NotNull,
                Pattern(
                    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
                    patterns::consumer_arn
                ),
                LenMin(1),
                LenMax(2048),
            ]
        ),
        STREAM_ID,
        Member::new("ShardId", Ty::Str, &[NotNull, Pattern(NAME_PATTERN, patterns::shard_id), LenMin(1), LenMax(128)]),
        Member::new(
            "StartingPosition",
            Ty::Struct(&[
                Member::new("Type", Ty::Str, &[NotNull, Enum(ITERATOR_TYPES)]),
                Member::new("SequenceNumber", Ty::Str, &[Pattern("0|([1-9]\\d{0,128})", patterns::sequence_number)]),
                Member::new("Timestamp", Ty::Timestamp, &[]),
            ]),
            &[NotNull]
        ),
    ]
);

#[derive(Debug, Clone, Deserialize)]
pub struct StartingPosition {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: Option<String>,
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
pub struct SubscribeToShardInput {
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(rename = "StartingPosition")]
    pub starting_position: StartingPosition,
}

/// One event of a SubscribeToShard stream.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeToShardEvent {
    pub records: Vec<Record>,
    /// Null only in the last event of a finished closed shard.
    pub continuation_sequence_number: Option<String>,
    pub millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_shards: Option<Vec<ChildShard>>,
}
