//! What Describe- and UpdateAccountSettings share: the account's minimum throughput billing
//! commitment, kept per account and region in the catalog. A commitment lasts at least 24
//! hours; disabling it earlier schedules the end (ENABLED_UNTIL_EARLIEST_ALLOWED_END).

use serde::{Deserialize, Serialize};

use riffle_wire::model::kinesis::{AccountSettingsOutput, CommitmentOutput};
use riffle_wire::types::Timestamp;

use crate::error::Result;
use crate::service::StreamsService;

const DAY_MS: i64 = 86_400_000;

/// The stored commitment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Commitment {
    pub enabled: bool,
    pub started_ms: Option<i64>,
    pub earliest_end_ms: Option<i64>,
    /// When a disable was asked for (it takes effect at `earliest_end_ms`) or happened.
    pub end_ms: Option<i64>,
}

fn value_key(account: &str, region: &str) -> String {
    format!("account-settings/{account}/{region}")
}

pub fn load(svc: &StreamsService, account: &str, region: &str) -> Result<Commitment> {
    Ok(svc
        .meta
        .get_value(&value_key(account, region))?
        .and_then(|v| serde_json::from_slice(&v).ok())
        .unwrap_or_default())
}

pub fn store(svc: &StreamsService, account: &str, region: &str, c: &Commitment) -> Result<()> {
    svc.meta.put_value(&value_key(account, region), &serde_json::to_vec(c).expect("serializes"))?;
    Ok(())
}

/// Whether the commitment is in force at `now`.
pub fn active(c: &Commitment, now: i64) -> bool {
    c.enabled && c.end_ms.is_none_or(|_| c.earliest_end_ms.is_some_and(|e| now < e))
}

/// The commitment as the API shows it at `now`.
pub fn render(c: &Commitment, now: i64) -> AccountSettingsOutput {
    let status = if !c.enabled {
        "DISABLED"
    } else if c.end_ms.is_some() {
        if active(c, now) { "ENABLED_UNTIL_EARLIEST_ALLOWED_END" } else { "DISABLED" }
    } else {
        "ENABLED"
    };
    let ended = status == "DISABLED" && c.started_ms.is_some();
    AccountSettingsOutput {
        minimum_throughput_billing_commitment: CommitmentOutput {
            status: status.into(),
            started_at: c.started_ms.map(Timestamp),
            ended_at: if ended { c.earliest_end_ms.max(c.end_ms).map(Timestamp) } else { None },
            earliest_allowed_end_at: if status == "DISABLED" { None } else { c.earliest_end_ms.map(Timestamp) },
        },
    }
}

/// Applies an ENABLED or DISABLED request at `now`.
pub fn update(mut c: Commitment, enable: bool, now: i64) -> Commitment {
    if enable {
        if !active(&c, now) {
            c = Commitment { enabled: true, started_ms: Some(now), earliest_end_ms: Some(now + DAY_MS), end_ms: None };
        } else {
            c.end_ms = None; // cancels a scheduled end
        }
    } else if active(&c, now) && c.end_ms.is_none() {
        c.end_ms = Some(now);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_lifecycle() {
        let c = update(Commitment::default(), true, 1_000);
        assert_eq!(render(&c, 2_000).minimum_throughput_billing_commitment.status, "ENABLED");
        let c = update(c, false, 3_000);
        assert_eq!(
            render(&c, 4_000).minimum_throughput_billing_commitment.status,
            "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
        );
        assert!(active(&c, 4_000));
        let later = 1_000 + DAY_MS + 1;
        assert_eq!(render(&c, later).minimum_throughput_billing_commitment.status, "DISABLED");
        assert!(!active(&c, later));
        let c = update(c, true, later);
        assert_eq!(c.started_ms, Some(later));
        assert_eq!(render(&Commitment::default(), 0).minimum_throughput_billing_commitment.status, "DISABLED");
    }
}
