//! ListTagsForStream: tags in key order, paged by ExclusiveStartTagKey.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ListTagsForStreamInput, ListTagsForStreamOutput, Tag};

use crate::error::Result;
use crate::service::StreamsService;

const DEFAULT_LIMIT: usize = 50;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: ListTagsForStreamInput,
) -> Result<ListTagsForStreamOutput> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
    svc.read_stream(&key, |s| {
        let mut tags: Vec<Tag> = s
            .tags
            .iter()
            .filter(|(k, _)| input.exclusive_start_tag_key.as_ref().is_none_or(|x| *k > x))
            .map(|(k, v)| Tag { key: k.clone(), value: v.clone() })
            .take(limit + 1)
            .collect();
        let has_more = tags.len() > limit;
        tags.truncate(limit);
        Ok(ListTagsForStreamOutput { tags, has_more_tags: has_more })
    })
}
