//! DeregisterStreamConsumer: DELETING for `--delete-delay`, then gone; its subscriptions end.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ConsumerRef, Empty};

use super::consumers::{find, resolve};
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, _ctx: RequestContext, input: ConsumerRef) -> Result<Empty> {
    let (key, name) = resolve(&input)?;
    let delay = svc.config.delete_delay;
    let arn = svc.update_stream(&key, |s| {
        let arn = find(s, &name, input.consumer_arn.as_deref())?.arn.clone();
        if delay.is_zero() {
            s.consumers.retain(|c| c.arn != arn);
        } else if let Some(c) = s.consumers.iter_mut().find(|c| c.arn == arn) {
            c.status = StreamStatus::Deleting;
        }
        Ok(arn)
    })?;
    svc.fanout.end_consumer(&arn);
    if !delay.is_zero() {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = svc.update_stream(&key, |s| {
                s.consumers.retain(|c| c.arn != arn);
                Ok(())
            });
        });
    }
    Ok(Empty {})
}
