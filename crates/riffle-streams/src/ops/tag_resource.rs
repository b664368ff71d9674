//! TagResource: AddTagsToStream by ARN.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, TagResourceInput};

use crate::error::Result;
use crate::service::StreamsService;
use crate::tags;

pub async fn handle(svc: Arc<StreamsService>, _ctx: RequestContext, input: TagResourceInput) -> Result<Empty> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    svc.update_stream(&key, |s| tags::add(&mut s.tags, &input.tags, &key.name, &key.account))?;
    Ok(Empty {})
}
