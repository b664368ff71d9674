//! ListStreamConsumers: a stream's consumers in registration order, paged by NextToken.

use std::sync::Arc;

use riffle_meta::StreamKey;
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ListStreamConsumersInput, ListStreamConsumersOutput};

use super::consumers::shape;
use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::token::PageToken;

const DEFAULT_MAX: usize = 100;

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: ListStreamConsumersInput,
) -> Result<ListStreamConsumersOutput> {
    let arn = StreamArn::parse(&input.stream_arn)
        .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid StreamARN {}.", input.stream_arn)))?;
    let key = StreamKey { account: arn.account, region: arn.region, name: arn.name };
    let now = svc.now_ms();
    let after = match &input.next_token {
        Some(t) => Some(PageToken::decode(&svc.sealer, t, "ListStreamConsumers", now)?.after),
        None => None,
    };
    let max = input.max_results.map_or(DEFAULT_MAX, |m| m as usize);
    svc.read_stream(&key, |s| {
        if let Some(ts) = input.stream_creation_timestamp
            && ts.0 != s.created_ms
        {
            return Err(StreamsService::not_found(&key));
        }
        let start =
            after.as_ref().and_then(|a| s.consumers.iter().position(|c| c.arn == *a).map(|i| i + 1)).unwrap_or(0);
        let mut page: Vec<_> = s.consumers.iter().skip(start).take(max + 1).collect();
        let more = page.len() > max;
        page.truncate(max);
        let next_token = more.then(|| {
            PageToken {
                op: "ListStreamConsumers".into(),
                account: key.account.clone(),
                region: key.region.clone(),
                stream: Some(key.name.clone()),
                after: page.last().map(|c| c.arn.clone()).unwrap_or_default(),
                filter: None,
                created_ms: now,
            }
            .encode(&svc.sealer)
        });
        Ok(ListStreamConsumersOutput { consumers: page.into_iter().map(shape).collect(), next_token })
    })
}
