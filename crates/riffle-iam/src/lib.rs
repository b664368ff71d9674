//! IAM-style authorization: policy documents (JSON, `Allow`/`Deny` statements over actions and
//! resources with `*` and `?` wildcards, `Principal` in resource policies) and AWS's evaluation
//! logic:
//!
//! 1. an explicit `Deny` in any applicable policy wins;
//! 2. within one account, an `Allow` in either the identity policies or the resource policy
//!    is enough;
//! 3. across accounts, both sides must allow: the caller's identity policies and the
//!    resource's policy;
//! 4. otherwise the request is implicitly denied.
//!
//! An account's root credentials are allowed everything in their own account.

use serde::Deserialize;
use serde_json::Value;

/// Errors of this layer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("the policy is not valid JSON: {0}")]
    Json(String),
    #[error("the policy is malformed: {0}")]
    Malformed(String),
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
    pub account: String,
    pub root: bool,
    pub policies: Vec<Policy>,
}

impl Principal {
    pub fn root(account: &str) -> Self {
        Principal { arn: format!("arn:aws:iam::{account}:root"), account: account.into(), root: true, policies: vec![] }
    }

    pub fn user(account: &str, name: &str, policies: Vec<Policy>) -> Self {
        Principal { arn: format!("arn:aws:iam::{account}:user/{name}"), account: account.into(), root: false, policies }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    effect: Effect,
    actions: Option<Vec<String>>,
    not_actions: Option<Vec<String>>,
    resources: Option<Vec<String>>,
    not_resources: Option<Vec<String>>,
    /// `None`: no Principal element (identity policies). `Some(vec!["*"])`: anyone.
    principals: Option<Vec<String>>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// What one policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
    /// Says nothing.
    Silent,
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| PolicyError::Malformed(format!("{what} must hold strings")))
            })
            .collect(),
        _ => Err(PolicyError::Malformed(format!("{what} must be a string or a list of strings"))),
    }
}

impl Policy {
    /// Parses a policy document.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        #[derive(Deserialize)]
        struct Doc {
            #[serde(rename = "Statement")]
            statement: Value,
        }
        let doc: Doc = serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        let list = match doc.statement {
            Value::Array(a) => a,
            v @ Value::Object(_) => vec![v],
            _ => return Err(PolicyError::Malformed("Statement must be an object or a list".into())),
        };
        let mut statements = Vec::new();
        for st in list {
            let obj = st.as_object().ok_or_else(|| PolicyError::Malformed("a statement must be an object".into()))?;
            let effect = match obj.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                _ => return Err(PolicyError::Malformed("Effect must be Allow or Deny".into())),
            };
            let opt = |k: &str| obj.get(k).map(|v| strings(v, k)).transpose();
            let principals = match obj.get("Principal") {
                None => None,
                Some(Value::String(s)) if s == "*" => Some(vec!["*".to_string()]),
                Some(Value::Object(m)) => {
                    let mut all = Vec::new();
                    for (k, v) in m {
                        if k != "AWS" {
                            return Err(PolicyError::Malformed(format!("unsupported principal type {k}")));
                        }
                        all.extend(strings(v, "Principal.AWS")?);
                    }
                    Some(all)
                }
                Some(_) => return Err(PolicyError::Malformed("Principal must be \"*\" or {\"AWS\": ...}".into())),
            };
            let s = Statement {
                effect,
                actions: opt("Action")?,
                not_actions: opt("NotAction")?,
                resources: opt("Resource")?,
                not_resources: opt("NotResource")?,
                principals,
            };
            if s.actions.is_none() && s.not_actions.is_none() {
                return Err(PolicyError::Malformed("a statement needs Action or NotAction".into()));
            }
            statements.push(s);
        }
        Ok(Policy { statements })
    }

    /// Whether any statement names a principal (a resource policy must).
    pub fn names_principals(&self) -> bool {
        self.statements.iter().all(|s| s.principals.is_some())
    }

    /// What this policy says about `principal` doing `action` on `resource`.
    pub fn evaluate(&self, action: &str, resource: &str, principal: &Principal) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let action_ok = match (&s.actions, &s.not_actions) {
                (Some(a), _) => a.iter().any(|p| wildcard(&p.to_ascii_lowercase(), &action.to_ascii_lowercase())),
                (None, Some(n)) => !n.iter().any(|p| wildcard(&p.to_ascii_lowercase(), &action.to_ascii_lowercase())),
                (None, None) => false,
            };
            let resource_ok = match (&s.resources, &s.not_resources) {
                (Some(r), _) => r.iter().any(|p| wildcard(p, resource)),
                (None, Some(n)) => !n.iter().any(|p| wildcard(p, resource)),
                (None, None) => s.principals.is_some(), // resource policies may omit Resource
            };
            let principal_ok =
                s.principals.as_ref().is_none_or(|ps| ps.iter().any(|p| principal_matches(p, principal)));
            if action_ok && resource_ok && principal_ok {
                match s.effect {
                    Effect::Deny => return Decision::Deny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed { Decision::Allow } else { Decision::Silent }
    }
}

fn principal_matches(pattern: &str, p: &Principal) -> bool {
    pattern == "*" || pattern == p.arn || pattern == p.account || pattern == format!("arn:aws:iam::{}:root", p.account)
}

/// `*` matches any run of characters, `?` any one.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Why a request was refused, in AWS's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// Decides whether `principal` may do `action` on `resource` (owned by `resource_account`,
/// with `resource_policy` if it has one).
pub fn authorize(
    principal: &Principal,
    action: &str,
    resource: &str,
    resource_account: &str,
    resource_policy: Option<&Policy>,
) -> Result<(), Denied> {
    let identity = if principal.root {
        Decision::Allow
    } else {
        principal.policies.iter().map(|p| p.evaluate(action, resource, principal)).fold(Decision::Silent, |acc, d| {
            match (acc, d) {
                (Decision::Deny, _) | (_, Decision::Deny) => Decision::Deny,
                (Decision::Allow, _) | (_, Decision::Allow) => Decision::Allow,
                _ => Decision::Silent,
            }
        })
    };
    let resource_side = resource_policy.map_or(Decision::Silent, |p| p.evaluate(action, resource, principal));
    let refuse = |why: String| {
        Err(Denied(format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
            principal.arn
        )))
    };
    if identity == Decision::Deny {
        return refuse("with an explicit deny in an identity-based policy".into());
    }
    if resource_side == Decision::Deny {
        return refuse("with an explicit deny in a resource-based policy".into());
    }
    let same_account = principal.account == resource_account;
    match (same_account, identity, resource_side) {
        (true, Decision::Allow, _) | (true, _, Decision::Allow) => Ok(()),
        (false, Decision::Allow, Decision::Allow) => Ok(()),
        (false, Decision::Allow, _) => refuse(format!("because no resource-based policy allows the {action} action")),
        _ => refuse(format!("because no identity-based policy allows the {action} action")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "arn:aws:kinesis:us-east-1:111111111111:stream/orders";

    fn p(json: &str) -> Policy {
        Policy::parse(json).unwrap()
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("kinesis:*", "kinesis:PutRecord"));
        assert!(wildcard("kinesis:Put*", "kinesis:PutRecords"));
        assert!(wildcard("arn:aws:kinesis:*:111111111111:stream/ord?rs", STREAM));
        assert!(!wildcard("kinesis:Get*", "kinesis:PutRecord"));
        assert!(wildcard("*", ""));
    }

    #[test]
    fn same_account_identity_policy() {
        let alice = Principal::user(
            "111111111111",
            "alice",
            vec![p(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:Put*","Resource":"arn:aws:kinesis:*:*:stream/*"}]}"#,
            )],
        );
        assert!(authorize(&alice, "kinesis:PutRecord", STREAM, "111111111111", None).is_ok());
        let e = authorize(&alice, "kinesis:GetRecords", STREAM, "111111111111", None).unwrap_err();
        assert_eq!(
            e.0,
            format!(
                "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: kinesis:GetRecords on resource: {STREAM} because no identity-based policy allows the kinesis:GetRecords action"
            )
        );
    }

    #[test]
    fn explicit_deny_wins() {
        let bob = Principal::user(
            "111111111111",
            "bob",
            vec![
                p(r#"{"Statement":[{"Effect":"Allow","Action":"kinesis:*","Resource":"*"}]}"#),
                p(r#"{"Statement":{"Effect":"Deny","Action":"kinesis:DeleteStream","Resource":"*"}}"#),
            ],
        );
        assert!(authorize(&bob, "kinesis:PutRecord", STREAM, "111111111111", None).is_ok());
        assert!(
            authorize(&bob, "kinesis:DeleteStream", STREAM, "111111111111", None)
                .unwrap_err()
                .0
                .contains("explicit deny")
        );
        let deny_all = p(r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"kinesis:*","Resource":"*"}]}"#);
        assert!(
            authorize(&Principal::root("111111111111"), "kinesis:PutRecord", STREAM, "111111111111", Some(&deny_all))
                .is_err()
        );
    }

    #[test]
    fn cross_account_needs_both_sides() {
        let carol = Principal::user(
            "222222222222",
            "carol",
            vec![p(r#"{"Statement":[{"Effect":"Allow","Action":"kinesis:GetRecords","Resource":"*"}]}"#)],
        );
        let share = p(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["kinesis:GetRecords","kinesis:DescribeStream"],"Resource":"*"}]}"#,
        );
        assert!(
            authorize(&carol, "kinesis:GetRecords", STREAM, "111111111111", None)
                .unwrap_err()
                .0
                .contains("no resource-based policy")
        );
        assert!(authorize(&carol, "kinesis:GetRecords", STREAM, "111111111111", Some(&share)).is_ok());
        // The resource allows DescribeStream, but carol's own policies do not.
        assert!(authorize(&carol, "kinesis:DescribeStream", STREAM, "111111111111", Some(&share)).is_err());
        // A resource policy alone is enough inside the account.
        let dave = Principal::user("111111111111", "dave", vec![]);
        let to_dave = p(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/dave"]},"Action":"kinesis:*"}]}"#,
        );
        assert!(authorize(&dave, "kinesis:PutRecord", STREAM, "111111111111", Some(&to_dave)).is_ok());
        assert!(authorize(&dave, "kinesis:PutRecord", STREAM, "111111111111", None).is_err());
    }

    #[test]
    fn malformed_policies_are_refused() {
        assert!(matches!(Policy::parse("{"), Err(PolicyError::Json(_))));
        assert!(Policy::parse(r#"{"Statement":[{"Effect":"Maybe","Action":"*"}]}"#).is_err());
        assert!(Policy::parse(r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#).is_err());
    }
}
