//! UntagResource: RemoveTagsFromStream by ARN.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, UntagResourceInput};

use crate::error::Result;
use crate::service::StreamsService;
use crate::tags;

pub async fn handle(svc: Arc<StreamsService>, _ctx: RequestContext, input: UntagResourceInput) -> Result<Empty> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    svc.update_stream(&key, |s| tags::remove(&mut s.tags, &input.tag_keys, &key.name, &key.account))?;
    Ok(Empty {})
}
