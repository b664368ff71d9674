//! What Start- and StopStreamEncryption share. The stream goes UPDATING for `--update-delay`;
//! records written from then on are encrypted (or not). Records keep the key they were
//! written under, so reads across a switch work.

use std::sync::Arc;

use riffle_meta::StreamStatus;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, EncryptionInput};

use crate::crypto::valid_key_id;
use crate::error::{Result, StreamsError};
use crate::service::StreamsService;

/// New keys a stream may take in a rolling 24 hours.
pub const MAX_KEY_CHANGES_PER_DAY: usize = 25;
const DAY_MS: i64 = 86_400_000;

pub fn switch(svc: &Arc<StreamsService>, ctx: &RequestContext, input: EncryptionInput, start: bool) -> Result<Empty> {
    let key = svc.stream_key(ctx, &input.stream)?;
    if input.encryption_type != "KMS" {
        return Err(StreamsError::InvalidArgument(format!(
            "EncryptionType {} is not valid for {}. The only valid value is KMS.",
            input.encryption_type,
            if start { "StartStreamEncryption" } else { "StopStreamEncryption" }
        )));
    }
    if !valid_key_id(&input.key_id) {
        return Err(StreamsError::KmsNotFound(format!("Invalid keyId {}", input.key_id)));
    }
    let delay = svc.config.update_delay;
    let now = svc.now_ms();
    let uid = svc.update_stream(&key, |s| {
        if s.status != StreamStatus::Active {
            return Err(StreamsError::StreamNotActive {
                name: s.key.name.clone(),
                account: s.key.account.clone(),
                status: s.status.as_str(),
            });
        }
        if start {
            if s.encryption_key_id.as_deref() != Some(input.key_id.as_str()) {
                s.key_changes_ms.retain(|t| now - *t < DAY_MS);
                if s.key_changes_ms.len() >= MAX_KEY_CHANGES_PER_DAY {
                    return Err(StreamsError::LimitExceeded(format!(
                        "Exceeded the limit of {MAX_KEY_CHANGES_PER_DAY} encryption key changes in a rolling 24-hour period for stream {} under account {}.",
                        s.key.name, s.key.account
                    )));
                }
                s.key_changes_ms.push(now);
            }
            s.encryption_key_id = Some(input.key_id.clone());
        } else {
            s.encryption_key_id = None;
        }
        if !delay.is_zero() {
            s.status = StreamStatus::Updating;
            s.transition_until_ms = Some(now + delay.as_millis() as i64);
        }
        Ok(s.uid)
    })?;
    if !delay.is_zero() {
        svc.finish_transition_after(key, uid, delay);
    }
    Ok(Empty {})
}
