//! DeleteResourcePolicy: removes the stream's resource policy.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, ResourceArnInput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, _ctx: RequestContext, input: ResourceArnInput) -> Result<Empty> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    svc.update_stream(&key, |s| {
        if s.resource_policy.take().is_none() {
            return Err(StreamsError::NotFound(format!(
                "No resource policy found for resource {}.",
                input.resource_arn
            )));
        }
        Ok(())
    })?;
    Ok(Empty {})
}
