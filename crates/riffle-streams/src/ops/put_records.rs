//! PutRecords: up to 500 records in one group-committed append. Records refused by a shard's
//! write limit are per-record failures in the reply, not errors.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{PutRecordsInput, PutRecordsOutput, PutRecordsResultEntry};

use crate::error::{Result, StreamsError};
use crate::put::{Incoming, Outcome, put};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: PutRecordsInput) -> Result<PutRecordsOutput> {
    let records = input
        .records
        .into_iter()
        .map(|r| Incoming { partition_key: r.partition_key, explicit_hash_key: r.explicit_hash_key, data: r.data.0 })
        .collect();
    let (key, outcomes) = put(&svc, &ctx, &input.stream, records).await?;
    let mut failed = 0;
    let mut encrypted = false;
    let records = outcomes
        .into_iter()
        .map(|o| match o {
            Outcome::Placed { shard_id, sequence_number, encrypted: e } => {
                encrypted |= e;
                PutRecordsResultEntry {
                    sequence_number: Some(sequence_number),
                    shard_id: Some(shard_id),
                    ..Default::default()
                }
            }
            Outcome::Throttled { shard_id } => {
                failed += 1;
                let e =
                    StreamsError::Throughput { shard: shard_id, name: key.name.clone(), account: key.account.clone() };
                PutRecordsResultEntry {
                    error_code: Some("ProvisionedThroughputExceededException"),
                    error_message: Some(e.to_string()),
                    ..Default::default()
                }
            }
        })
        .collect();
    Ok(PutRecordsOutput { failed_record_count: failed, records, encryption_type: encrypted.then_some("KMS") })
}
