//! SigV4 request inspection: finds the caller's access key and credential scope in an
//! `Authorization` header or a presigned query string, and reports missing or malformed auth
//! with AWS's exact messages. Signature verification comes with `--auth sigv4` (a later issue);
//! here any well-formed credentials are accepted.

use crate::error::AwsError;

/// What the request's auth says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key: String,
    /// From the credential scope, when it has one.
    pub region: Option<String>,
}

/// The auth information a request carries.
pub struct AuthParts<'a> {
    pub authorization: Option<&'a str>,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    pub has_date_header: bool,
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

fn scope(credential: &str) -> Caller {
    let mut parts = credential.split('/');
    let access_key = parts.next().unwrap_or_default().to_string();
    let region = parts.nth(1).filter(|r| !r.is_empty()).map(str::to_string);
    Caller { access_key, region }
}

/// Checks that auth is present and well formed, in AWS's order and words.
pub fn inspect(a: &AuthParts<'_>) -> Result<Caller, AwsError> {
    let query_alg = a.query.and_then(|q| query_param(q, "X-Amz-Algorithm"));
    match (a.authorization, query_alg) {
        (Some(_), Some(_)) => Err(AwsError::new(
            "InvalidSignatureException",
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )),
        (None, None) => Err(AwsError::new("MissingAuthenticationTokenException", "Missing Authentication Token")),
        (Some(header), None) => {
            let mut credential = None;
            let mut signature = None;
            let mut signed_headers = None;
            for token in header.split([',', ' ']).skip(1).filter(|t| !t.is_empty()) {
                if let Some((k, v)) = token.split_once('=') {
                    match k {
                        "Credential" => credential = Some(v),
                        "Signature" => signature = Some(v),
                        "SignedHeaders" => signed_headers = Some(v),
                        _ => {}
                    }
                }
            }
            let mut msg = String::new();
            for (present, name) in
                [(credential, "Credential"), (signature, "Signature"), (signed_headers, "SignedHeaders")]
            {
                if present.is_none_or(str::is_empty) {
                    msg.push_str(&format!("Authorization header requires '{name}' parameter. "));
                }
            }
            if !a.has_date_header {
                msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
            }
            if !msg.is_empty() {
                msg.push_str(&format!("Authorization={header}"));
                return Err(AwsError::new("IncompleteSignatureException", msg));
            }
            Ok(scope(credential.unwrap_or_default()))
        }
        (None, Some(_)) => {
            let q = a.query.unwrap_or_default();
            let mut msg = String::new();
            for p in ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"] {
                if query_param(q, p).is_none_or(str::is_empty) {
                    msg.push_str(&format!("AWS query-string parameters must include '{p}'. "));
                }
            }
            if !msg.is_empty() {
                msg.push_str("Re-examine the query-string parameters.");
                return Err(AwsError::new("IncompleteSignatureException", msg));
            }
            let credential = query_param(q, "X-Amz-Credential").unwrap_or_default().replace("%2F", "/");
            Ok(scope(&credential))
        }
    }
}

/// The account a caller acts as: a 12-digit access key id names the account itself (as the
/// emulators do, so one server can hold many accounts); anything else acts as `default`.
pub fn account_for(access_key: &str, default: &str) -> String {
    if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
        access_key.to_string()
    } else {
        default.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(auth: Option<&'static str>, query: Option<&'static str>, date: bool) -> AuthParts<'static> {
        AuthParts { authorization: auth, query, has_date_header: date }
    }

    #[test]
    fn well_formed_header() {
        let c = inspect(&parts(
            Some("AWS4-HMAC-SHA256 Credential=AKID/20150101/eu-west-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"),
            None,
            true,
        ))
        .unwrap();
        assert_eq!(c, Caller { access_key: "AKID".into(), region: Some("eu-west-1".into()) });
    }

    #[test]
    fn aws_messages() {
        let e = inspect(&parts(None, None, true)).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_deref()),
            ("MissingAuthenticationTokenException", Some("Missing Authentication Token"))
        );
        let e = inspect(&parts(Some("X"), None, false)).unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X"
        );
        let e = inspect(&parts(Some("AWS4- Signature=b, Credential=a"), None, true)).unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b, Credential=a"
        );
        let e =
            inspect(&parts(None, Some("X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d"), true))
                .unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
        );
    }

    #[test]
    fn accounts_from_access_keys() {
        assert_eq!(account_for("123456789012", "000000000000"), "123456789012");
        assert_eq!(account_for("AKIDEXAMPLE", "000000000000"), "000000000000");
    }
}
