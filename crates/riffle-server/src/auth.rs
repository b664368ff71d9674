//! `--auth sigv4`: the credentials Riffle knows, from a TOML file, and the verification of each
//! request's signature against them.
//!
//! ```toml
//! [[credentials]]
//! access_key_id = "AKIAEXAMPLEALICE"
//! secret_access_key = "alice-secret"
//! account_id = "111111111111"
//! user = "alice"              # omit for the account's root credentials (allowed everything)
//! policies = ['''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}''']
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use riffle_iam::{Policy, Principal};
use riffle_wire::AwsError;
use riffle_wire::sigv4::verify;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    credentials: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    access_key_id: String,
    secret_access_key: String,
    account_id: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    policies: Vec<String>,
}

/// Access key id -> (secret, principal).
pub struct Credentials {
    by_key: HashMap<String, (String, Arc<Principal>)>,
}

impl Credentials {
    pub fn load(path: &Path) -> anyhow::Result<Credentials> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: File = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut by_key = HashMap::new();
        for e in file.credentials {
            anyhow::ensure!(
                e.account_id.len() == 12 && e.account_id.bytes().all(|b| b.is_ascii_digit()),
                "account_id of {} must be 12 digits",
                e.access_key_id
            );
            let principal = match &e.user {
                None => Principal::root(&e.account_id),
                Some(user) => {
                    let policies = e
                        .policies
                        .iter()
                        .map(|p| Policy::parse(p))
                        .collect::<Result<Vec<_>, _>>()
                        .with_context(|| format!("a policy of {}", e.access_key_id))?;
                    Principal::user(&e.account_id, user, policies)
                }
            };
            by_key.insert(e.access_key_id, (e.secret_access_key, Arc::new(principal)));
        }
        anyhow::ensure!(!by_key.is_empty(), "{} defines no credentials", path.display());
        Ok(Credentials { by_key })
    }

    /// Verifies a request; returns the caller and the region of its credential scope.
    pub fn verify(&self, req: &verify::Request<'_>, now_ms: i64) -> Result<(Arc<Principal>, String), AwsError> {
        let signed = verify::parse(req).ok_or_else(|| {
            AwsError::new("IncompleteSignatureException", "The request signature is malformed or incomplete.")
        })?;
        let (secret, principal) = self.by_key.get(&signed.access_key).ok_or_else(|| {
            AwsError::new("UnrecognizedClientException", "The security token included in the request is invalid.")
        })?;
        verify::check(req, &signed, secret, now_ms)?;
        Ok((principal.clone(), signed.region))
    }
}
