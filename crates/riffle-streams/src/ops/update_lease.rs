//! UpdateLease (lease extension): take, renew, release or checkpoint a lease, by
//! compare-and-set on its counter.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::leases::{LeaseOutput, UpdateLeaseInput};

use super::list_leases::view;
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: UpdateLeaseInput) -> Result<LeaseOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let uid = svc.read_stream(&key, |s| Ok(s.uid))?;
    let at = (uid, input.application.as_str(), input.lease_key.as_str());
    let lease = svc.leases.update(svc.meta.as_ref(), at, input.expected_counter, |l| {
        l.owner = input.owner;
        if let Some(c) = input.checkpoint {
            l.checkpoint = Some(c);
            l.checkpoint_sub_sequence = input.checkpoint_sub_sequence_number;
        }
    })?;
    Ok(LeaseOutput { lease: view(lease) })
}
