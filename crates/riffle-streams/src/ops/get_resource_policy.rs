//! GetResourcePolicy: the stream's resource policy, or `{}` when it has none.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{GetResourcePolicyOutput, ResourceArnInput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: ResourceArnInput,
) -> Result<GetResourcePolicyOutput> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    svc.read_stream(&key, |s| {
        Ok(GetResourcePolicyOutput { policy: s.resource_policy.clone().unwrap_or_else(|| "{}".into()) })
    })
}
