//! CreateLease (lease extension): a new unowned lease, refused if the key exists.

use std::sync::Arc;

use riffle_meta::LeaseRecord;
use riffle_wire::RequestContext;
use riffle_wire::model::leases::{CreateLeaseInput, LeaseOutput};

use super::list_leases::view;
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: CreateLeaseInput) -> Result<LeaseOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let uid = svc.read_stream(&key, |s| Ok(s.uid))?;
    let lease = LeaseRecord {
        stream_uid: uid,
        application: input.application,
        lease_key: input.lease_key,
        owner: None,
        counter: 0,
        checkpoint: input.checkpoint,
        checkpoint_sub_sequence: None,
        parents: input.parents,
    };
    Ok(LeaseOutput { lease: view(svc.leases.create(svc.meta.as_ref(), lease)?) })
}
