//! UpdateAccountSettings: enables or disables the minimum throughput billing commitment.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{AccountSettingsOutput, UpdateAccountSettingsInput};

use super::account_settings::{load, render, store, update};
use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(
    svc: Arc<StreamsService>,
    ctx: RequestContext,
    input: UpdateAccountSettingsInput,
) -> Result<AccountSettingsOutput> {
    let now = svc.now_ms();
    let enable = input.minimum_throughput_billing_commitment.status == "ENABLED";
    let c = update(load(&svc, &ctx.account, &ctx.region)?, enable, now);
    store(&svc, &ctx.account, &ctx.region, &c)?;
    Ok(render(&c, now))
}
