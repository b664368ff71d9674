//! AddTagsToStream: adds or overwrites tags, at most 50 per stream.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{AddTagsInput, Empty};

use crate::error::Result;
use crate::service::StreamsService;
use crate::tags;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: AddTagsInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    svc.update_stream(&key, |s| tags::add(&mut s.tags, &input.tags, &key.name, &key.account))?;
    Ok(Empty {})
}
