//! ListTagsForResource: every tag of a stream named by ARN.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ListTagsForResourceInput, ListTagsForResourceOutput, Tag};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput> {
    let key = super::resource::stream_key(&input.resource_arn)?;
    svc.read_stream(&key, |s| {
        Ok(ListTagsForResourceOutput {
            tags: s.tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect(),
        })
    })
}
