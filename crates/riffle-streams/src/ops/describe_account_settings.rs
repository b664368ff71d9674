//! DescribeAccountSettings: the minimum throughput billing commitment.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{AccountSettingsOutput, NoInput};

use super::account_settings::{load, render};
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, _input: NoInput) -> Result<AccountSettingsOutput> {
    Ok(render(&load(&svc, &ctx.account, &ctx.region)?, svc.now_ms()))
}
