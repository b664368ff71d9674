//! PutRecord: one record, durable before the reply.

use std::sync::Arc;

use riffle_types::SequenceNumber;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{PutRecordInput, PutRecordOutput};

use crate::error::{Result, StreamsError};
use crate::put::{Incoming, Outcome, put};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: PutRecordInput) -> Result<PutRecordOutput> {
    if let Some(seq) = &input.sequence_number_for_ordering
        && SequenceNumber::parse(seq).is_none()
    {
        let key = svc.stream_key(&ctx, &input.stream)?;
        return Err(StreamsError::InvalidArgument(format!(
            "ExclusiveMinimumSequenceNumber {seq} used in PutRecord on stream {} under account {} is invalid.",
            key.name, key.account
        )));
    }
    let record =
        Incoming { partition_key: input.partition_key, explicit_hash_key: input.explicit_hash_key, data: input.data.0 };
    let (key, mut outcomes) = put(&svc, &ctx, &input.stream, vec![record]).await?;
    match outcomes.pop().expect("one record in, one out") {
        Outcome::Placed { shard_id, sequence_number, encrypted } => {
            Ok(PutRecordOutput { shard_id, sequence_number, encryption_type: encrypted.then_some("KMS") })
        }
        Outcome::Throttled { shard_id } => {
            Err(StreamsError::Throughput { shard: shard_id, name: key.name, account: key.account })
        }
    }
}
