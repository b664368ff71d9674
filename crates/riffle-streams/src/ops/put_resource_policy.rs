//! PutResourcePolicy: attaches a resource policy to a stream (evaluated with `--auth sigv4`).

use std::sync::Arc;

use riffle_iam::Policy;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, PutResourcePolicyInput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, _ctx: RequestContext, input: PutResourcePolicyInput) -> Result<Empty> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    let policy = Policy::parse(&input.policy)
        .map_err(|e| StreamsError::InvalidArgument(format!("Invalid resource policy: {e}.")))?;
    if !policy.names_principals() {
        return Err(StreamsError::InvalidArgument(
            "Invalid resource policy: every statement of a resource policy needs a Principal.".into(),
        ));
    }
    svc.update_stream(&key, |s| {
        s.resource_policy = Some(input.policy.clone());
        Ok(())
    })?;
    Ok(Empty {})
}
