//! ListLeases (lease extension): every lease of an application on a stream.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::leases::{Lease, ListLeasesInput, ListLeasesOutput};

use crate::error::Result;
use crate::service::StreamsService;

/// The API's view of a stored lease.
pub(crate) fn view(r: riffle_meta::LeaseRecord) -> Lease {
    Lease {
        lease_key: r.lease_key,
        owner: r.owner,
        counter: r.counter,
        checkpoint: r.checkpoint,
        checkpoint_sub_sequence_number: r.checkpoint_sub_sequence,
        parent_lease_keys: r.parents,
    }
}

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: ListLeasesInput) -> Result<ListLeasesOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let uid = svc.read_stream(&key, |s| Ok(s.uid))?;
    Ok(ListLeasesOutput { leases: svc.leases.list(uid, &input.application).into_iter().map(view).collect() })
}
