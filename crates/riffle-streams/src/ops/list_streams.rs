//! ListStreams: stream names and summaries in name order, paged by name or NextToken.

use std::sync::Arc;

use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ListStreamsInput, ListStreamsOutput, StreamModeDetails, StreamSummary};
use riffle_wire::types::Timestamp;

use crate::error::Result;
use crate::service::StreamsService;
use crate::token::PageToken;

const DEFAULT_LIMIT: usize = 100;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: ListStreamsInput,
) -> Result<ListStreamsOutput> {
    let now = svc.now_ms();
    let after = match &input.next_token {
        Some(t) => Some(PageToken::decode(&svc.sealer, t, "ListStreams", now)?.after),
        None => input.exclusive_start_stream_name.clone(),
    };
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l as usize);
    let catalog = svc.catalog.read().expect("catalog lock");
    let mut page: Vec<_> = catalog
        .values()
        .filter(|s| s.key.account == ctx.account && s.key.region == ctx.region)
        .filter(|s| after.as_ref().is_none_or(|a| s.key.name > *a))
        .take(limit + 1)
        .collect();
    let has_more = page.len() > limit;
    page.truncate(limit);
    let next_token = has_more.then(|| {
        PageToken {
            op: "ListStreams".into(),
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            stream: None,
            after: page.last().map(|s| s.key.name.clone()).unwrap_or_default(),
            filter: None,
            created_ms: now,
        }
        .encode(&svc.sealer)
    });
    Ok(ListStreamsOutput {
        stream_names: page.iter().map(|s| s.key.name.clone()).collect(),
        has_more_streams: has_more,
        next_token,
        stream_summaries: page
            .iter()
            .map(|s| StreamSummary {
                stream_name: s.key.name.clone(),
                stream_arn: StreamArn::new(&s.key.region, &s.key.account, &s.key.name).to_string(),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetails { stream_mode: s.mode.as_str().into() },
                stream_creation_timestamp: Timestamp(s.created_ms),
            })
            .collect(),
    })
}
