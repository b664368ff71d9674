//! ListShards: a stream's shards, filtered by lineage position or time, paged by NextToken.

use std::sync::Arc;

use riffle_meta::{ShardRecord, StreamKey};
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ListShardsInput, ListShardsOutput};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;
use crate::shard_map;
use crate::token::PageToken;

const DEFAULT_MAX: usize = 1000;

/// (type, shard id, timestamp ms)
type Filter = (String, Option<String>, Option<i64>);

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: ListShardsInput) -> Result<ListShardsOutput> {
    let now = svc.now_ms();
    let named = input.stream.stream_name.is_some() || input.stream.stream_arn.is_some();
    let (key, after, filter) = match (&input.next_token, named) {
        (Some(_), true) => {
            return Err(StreamsError::InvalidArgument("NextToken and StreamName cannot be provided together.".into()));
        }
        (None, false) => {
            return Err(StreamsError::InvalidArgument("Either NextToken or StreamName should be provided.".into()));
        }
        (Some(t), false) => {
            if input.exclusive_start_shard_id.is_some()
                || input.shard_filter.is_some()
                || input.stream_creation_timestamp.is_some()
            {
                return Err(StreamsError::InvalidArgument(
                    "NextToken cannot be provided together with ExclusiveStartShardId, ShardFilter or StreamCreationTimestamp."
                        .into(),
                ));
            }
            let t = PageToken::decode(&svc.sealer, t, "ListShards", now)?;
            let key = StreamKey { account: t.account, region: t.region, name: t.stream.unwrap_or_default() };
            (key, Some(t.after), t.filter)
        }
        (None, true) => {
            let filter =
                input.shard_filter.as_ref().map(|f| (f.kind.clone(), f.shard_id.clone(), f.timestamp.map(|t| t.0)));
            if let Some((kind, shard, ts)) = &filter {
                if kind == "AFTER_SHARD_ID" && shard.is_none() {
                    return Err(StreamsError::InvalidArgument(
                        "ShardId must be provided for ShardFilter type AFTER_SHARD_ID.".into(),
                    ));
                }
                if (kind == "AT_TIMESTAMP" || kind == "FROM_TIMESTAMP") && ts.is_none() {
                    return Err(StreamsError::InvalidArgument(format!(
                        "Timestamp must be provided for ShardFilter type {kind}."
                    )));
                }
            }
            (svc.stream_key(&ctx, &input.stream)?, input.exclusive_start_shard_id.clone(), filter)
        }
    };
    let max = input.max_results.map_or(DEFAULT_MAX, |m| m as usize);
    svc.read_stream(&key, |s| {
        if let Some(ts) = input.stream_creation_timestamp
            && ts.0 != s.created_ms
        {
            return Err(StreamsError::NotFound(format!(
                "Stream {} under account {} with creation timestamp {} not found.",
                key.name, key.account, ts.0
            )));
        }
        let horizon = now - i64::from(s.retention_hours) * 3_600_000;
        let mut page: Vec<_> = s
            .shards
            .iter()
            .filter(|sh| keep(sh, filter.as_ref(), horizon))
            .map(shard_map::describe)
            .filter(|d| after.as_ref().is_none_or(|a| d.shard_id > *a))
            .take(max + 1)
            .collect();
        let has_more = page.len() > max;
        page.truncate(max);
        let next_token = has_more.then(|| {
            PageToken {
                op: "ListShards".into(),
                account: key.account.clone(),
                region: key.region.clone(),
                stream: Some(key.name.clone()),
                after: page.last().map(|d| d.shard_id.clone()).unwrap_or_default(),
                filter: filter.clone(),
                created_ms: now,
            }
            .encode(&svc.sealer)
        });
        Ok(ListShardsOutput { shards: page, next_token })
    })
}

/// Whether a shard passes the ShardFilter. `horizon` is the oldest arrival still retained.
fn keep(sh: &ShardRecord, filter: Option<&Filter>, horizon: i64) -> bool {
    let closed_before = |t: i64| sh.closed_ms.is_some_and(|c| c < t);
    let Some((kind, shard, ts)) = filter else {
        return !closed_before(horizon);
    };
    match kind.as_str() {
        "AFTER_SHARD_ID" => {
            let after = shard.as_deref().and_then(shard_map::resolve_shard_id);
            after.is_none_or(|a| sh.index > a) && !closed_before(horizon)
        }
        "AT_TRIM_HORIZON" => (sh.parent.is_none() || sh.created_ms <= horizon) && !closed_before(horizon),
        "AT_LATEST" => sh.is_open(),
        "AT_TIMESTAMP" => {
            let t = ts.unwrap_or(0);
            (sh.created_ms <= t || sh.parent.is_none()) && !closed_before(t.max(horizon))
        }
        "FROM_TIMESTAMP" => !closed_before(ts.unwrap_or(0).max(horizon)),
        _ => !closed_before(horizon), // FROM_TRIM_HORIZON, the default
    }
}
