//! EnableEnhancedMonitoring: turns shard-level metrics on (`ALL` for all seven).

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{MonitoringInput, MonitoringOutput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: MonitoringInput) -> Result<MonitoringOutput> {
    super::monitoring::change(&svc, &ctx, input, true)
}
