//! IncreaseStreamRetentionPeriod: 24 to 8,760 hours, never shorter than now.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, RetentionInput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: RetentionInput) -> Result<Empty> {
    super::retention::set(&svc, &ctx, input, true)
}
