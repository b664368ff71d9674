//! DecreaseStreamRetentionPeriod: 24 to 8,760 hours, never longer than now. Records that fall
//! outside the new period disappear from reads at once; their segments go at the next
//! retention pass.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, RetentionInput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: RetentionInput) -> Result<Empty> {
    super::retention::set(&svc, &ctx, input, false)
}
