//! DescribeStreamConsumer: by ConsumerARN, or by StreamARN and ConsumerName.

use std::sync::Arc;

use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{ConsumerDescription, ConsumerRef, DescribeStreamConsumerOutput};
use riffle_wire::types::Timestamp;

use super::consumers::{find, resolve};
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    _ctx: RequestContext,
    input: ConsumerRef,
) -> Result<DescribeStreamConsumerOutput> {
    let (key, name) = resolve(&input)?;
    svc.read_stream(&key, |s| {
        let c = find(s, &name, input.consumer_arn.as_deref())?;
        Ok(DescribeStreamConsumerOutput {
            consumer_description: ConsumerDescription {
                consumer_name: c.name.clone(),
                consumer_arn: c.arn.clone(),
                consumer_status: c.status.as_str(),
                consumer_creation_timestamp: Timestamp(c.created_ms),
                stream_arn: StreamArn::new(&key.region, &key.account, &key.name).to_string(),
            },
        })
    })
}
