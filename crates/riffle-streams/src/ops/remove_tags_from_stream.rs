//! RemoveTagsFromStream: removes tags; absent keys are ignored.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, RemoveTagsInput};

use crate::error::Result;
use crate::service::StreamsService;
use crate::tags;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: RemoveTagsInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.update_stream(&key, |s| tags::remove(&mut s.tags, &input.tag_keys, &key.name, &key.account))?;
    Ok(Empty {})
}
