//! DeleteLease (lease extension): removes a lease whose counter is as expected.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::Empty;
use riffle_wire::model::leases::DeleteLeaseInput;

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: DeleteLeaseInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let uid = svc.read_stream(&key, |s| Ok(s.uid))?;
    svc.leases.delete(svc.meta.as_ref(), (uid, &input.application, &input.lease_key), input.expected_counter)?;
    Ok(Empty {})
}
