//! RegisterStreamConsumer: a new enhanced fan-out consumer, CREATING then ACTIVE.

use std::sync::Arc;

use riffle_meta::{ConsumerRecord, StreamKey, StreamStatus};
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{RegisterStreamConsumerInput, RegisterStreamConsumerOutput};

use super::consumers::{MAX_CONSUMERS, MAX_CREATING, consumer_arn, shape};
use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: RegisterStreamConsumerInput,
) -> Result<RegisterStreamConsumerOutput> {
    let arn = StreamArn::parse(&input.stream_arn)
        .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid StreamARN {}.", input.stream_arn)))?;
    let key = StreamKey { account: arn.account, region: arn.region, name: arn.name };
    let now = svc.now_ms();
    let delay = svc.config.create_delay;
    let name = input.consumer_name.clone();
    let consumer = svc.update_stream(&key, |s| {
        if s.consumers.iter().any(|c| c.name == name) {
            return Err(StreamsError::InUse(format!(
                "Consumer {name} under stream {} under account {} already exists.",
                s.key.name, s.key.account
            )));
        }
        if s.consumers.len() >= MAX_CONSUMERS {
            return Err(StreamsError::LimitExceeded(format!(
                "Stream {} under account {} has reached the limit of {MAX_CONSUMERS} registered consumers.",
                s.key.name, s.key.account
            )));
        }
        if s.consumers.iter().filter(|c| c.status == StreamStatus::Creating).count() >= MAX_CREATING {
            return Err(StreamsError::LimitExceeded(format!(
                "Stream {} under account {} already has {MAX_CREATING} consumers in CREATING state.",
                s.key.name, s.key.account
            )));
        }
        let c = ConsumerRecord {
            arn: consumer_arn(&s.key, &name, now),
            name: name.clone(),
            status: if delay.is_zero() { StreamStatus::Active } else { StreamStatus::Creating },
            created_ms: now,
            tags: input.tags.clone().unwrap_or_default(),
        };
        s.consumers.push(c.clone());
        Ok(c)
    })?;
    if !delay.is_zero() {
        let svc = svc.clone();
        let arn = consumer.arn.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = svc.update_stream(&key, |s| {
                if let Some(c) = s.consumers.iter_mut().find(|c| c.arn == arn && c.status == StreamStatus::Creating) {
                    c.status = StreamStatus::Active;
                }
                Ok(())
            });
        });
    }
    Ok(RegisterStreamConsumerOutput { consumer: shape(&consumer) })
}
