//! PutRecords: up to 500 records in one group-committed append. Per-record failures are data
//! in the reply (none arise until throughput limits exist).

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{PutRecordsInput, PutRecordsOutput, PutRecordsResultEntry};

use crate::error::Result;
use crate::put::{Incoming, put};
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: PutRecordsInput,
) -> Result<PutRecordsOutput> {
    let records = input
        .records
        .into_iter()
        .map(|r| Incoming {
            partition_key: r.partition_key,
            explicit_hash_key: r.explicit_hash_key,
            data: r.data.0,
        })
        .collect();
    let placed = put(&svc, &ctx, &input.stream, records).await?;
    Ok(PutRecordsOutput {
        failed_record_count: 0,
        records: placed
            .into_iter()
            .map(|p| PutRecordsResultEntry {
                sequence_number: Some(p.sequence_number),
                shard_id: Some(p.shard_id),
                ..Default::default()
            })
            .collect(),
        encryption_type: None,
    })
}
