//! UpdateMaxRecordSize: records (data plus partition key) up to 1 to 10 MiB.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, UpdateMaxRecordSizeInput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: UpdateMaxRecordSizeInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.update_stream(&key, |s| {
        if s.status != StreamStatus::Active {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        s.max_record_size_kib = input.max_record_size_in_kib;
        Ok(())
    })?;
    Ok(Empty {})
}
