//! DeleteStream: DELETING for `--delete-delay`, then gone with its records.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{DeleteStreamInput, Empty};

use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: DeleteStreamInput) -> Result<Empty> {
    let key = svc.stream_key(&ctx, &input.stream)?;
    let delay = svc.config.delete_delay;
    let uid = svc.update_stream(&key, |s| {
        if s.status == StreamStatus::Deleting {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        if !s.consumers.is_empty() && !input.enforce_consumer_deletion.unwrap_or(false) {
            return Err(StreamsError::InUse(format!(
                "Stream {} under account {} has registered consumers. Deregister them first, or set EnforceConsumerDeletion.",
                s.key.name, s.key.account
            )));
        }
        s.status = StreamStatus::Deleting;
        Ok(s.uid)
    })?;
    tracing::info!(stream = %key.name, "stream deleting");
    let consumers: Vec<String> = svc.read_stream(&key, |s| Ok(s.consumers.iter().map(|c| c.arn.clone()).collect()))?;
    for c in consumers {
        svc.fanout.end_consumer(&c);
    }
    if delay.is_zero() {
        svc.finish_delete(&key, uid)?;
    } else {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Err(e) = svc.finish_delete(&key, uid) {
                tracing::error!(error = %e, stream = %key.name, "could not finish deleting a stream");
            }
        });
    }
    Ok(Empty {})
}
