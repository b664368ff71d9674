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

/// Signature verification (`--auth sigv4`): rebuilds the canonical request from exactly the
/// signed headers, derives the signing key from the caller's secret, and compares in constant
/// time; checks the date skew (15 minutes), presigned expiry and the payload hash.
pub mod verify {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    use crate::error::AwsError;

    /// Allowed clock difference between client and server.
    pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

    /// The parts of an HTTP request that SigV4 covers.
    pub struct Request<'a> {
        pub method: &'a str,
        /// The raw path, as received.
        pub path: &'a str,
        /// The raw query string, without `?`.
        pub query: &'a str,
        /// Header (lowercase name, value) pairs, including `host` (or the HTTP/2 authority).
        pub headers: &'a [(String, String)],
        pub body: &'a [u8],
    }

    /// What was signed, parsed from the header or the query string.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Signed {
        pub access_key: String,
        pub date: String,
        pub region: String,
        pub service: String,
        pub signed_headers: Vec<String>,
        pub signature: String,
        pub amz_date: String,
        /// Presigned URLs only: seconds of validity.
        pub expires: Option<i64>,
        pub presigned: bool,
    }

    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    fn sha256_hex(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    fn uri_encode(s: &str, keep_slash: bool) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && let Some(h) = s.get(i + 1..i + 3)
                && let Ok(v) = u8::from_str_radix(h, 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn query_pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The signing key: HMAC chain over date, region, service and `aws4_request`.
    pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
        let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        let k = hmac(&k, region.as_bytes());
        let k = hmac(&k, service.as_bytes());
        hmac(&k, b"aws4_request")
    }

    fn header_value(req: &Request<'_>, name: &str) -> Option<String> {
        let values: Vec<&str> = req.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
        (!values.is_empty()).then(|| {
            values.iter().map(|v| v.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(",")
        })
    }

    /// The signature of `req` under `signed`'s scope and headers, with `payload_hash`.
    pub fn signature(req: &Request<'_>, signed: &Signed, secret: &str, payload_hash: &str) -> String {
        let mut query: Vec<(String, String)> = query_pairs(req.query)
            .into_iter()
            .filter(|(k, _)| !(signed.presigned && k == "X-Amz-Signature"))
            .map(|(k, v)| (uri_encode(&k, false), uri_encode(&v, false)))
            .collect();
        query.sort();
        let canonical_query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut canonical_headers = String::new();
        for h in &signed.signed_headers {
            canonical_headers.push_str(&format!("{h}:{}\n", header_value(req, h).unwrap_or_default()));
        }
        let path = if req.path.is_empty() { "/".to_string() } else { uri_encode(req.path, true) };
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            path,
            canonical_query.join("&"),
            canonical_headers,
            signed.signed_headers.join(";"),
            payload_hash
        );
        let scope = format!("{}/{}/{}/aws4_request", signed.date, signed.region, signed.service);
        let to_sign = format!("AWS4-HMAC-SHA256\n{}\n{scope}\n{}", signed.amz_date, sha256_hex(canonical.as_bytes()));
        let key = signing_key(secret, &signed.date, &signed.region, &signed.service);
        hex(&hmac(&key, to_sign.as_bytes()))
    }

    /// Parses the signature's parts from the `Authorization` header or the query string.
    pub fn parse(req: &Request<'_>) -> Option<Signed> {
        let credential_parts = |c: &str| -> Option<(String, String, String, String)> {
            let p: Vec<&str> = c.split('/').collect();
            (p.len() == 5 && p[4] == "aws4_request").then(|| (p[0].into(), p[1].into(), p[2].into(), p[3].into()))
        };
        if let Some(auth) = header_value(req, "authorization") {
            let mut credential = None;
            let mut headers = None;
            let mut signature = None;
            for token in auth.split([',', ' ']).skip(1).filter(|t| !t.is_empty()) {
                match token.split_once('=') {
                    Some(("Credential", v)) => credential = Some(v.to_string()),
                    Some(("SignedHeaders", v)) => headers = Some(v.to_string()),
                    Some(("Signature", v)) => signature = Some(v.to_string()),
                    _ => {}
                }
            }
            let (access_key, date, region, service) = credential_parts(&credential?)?;
            let amz_date = header_value(req, "x-amz-date")?;
            return Some(Signed {
                access_key,
                date,
                region,
                service,
                signed_headers: headers?.split(';').map(str::to_string).collect(),
                signature: signature?,
                amz_date,
                expires: None,
                presigned: false,
            });
        }
        let q = query_pairs(req.query);
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let (access_key, date, region, service) = credential_parts(&get("X-Amz-Credential")?)?;
        Some(Signed {
            access_key,
            date,
            region,
            service,
            signed_headers: get("X-Amz-SignedHeaders")?.split(';').map(str::to_string).collect(),
            signature: get("X-Amz-Signature")?,
            amz_date: get("X-Amz-Date")?,
            expires: get("X-Amz-Expires").and_then(|e| e.parse().ok()),
            presigned: true,
        })
    }

    /// `20150830T123600Z` as epoch milliseconds.
    pub fn parse_amz_date(s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
        let (y, mo, d, h, mi, se) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        // Days from civil (Howard Hinnant).
        let y2 = if mo <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let mp = (mo + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(((days * 86_400) + h * 3600 + mi * 60 + se) * 1000)
    }

    fn format_amz_date(ms: i64) -> String {
        let (y, mo, d, h, mi, s, _, _) = riffle_types::time::civil(ms);
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    fn invalid_signature(msg: impl Into<String>) -> AwsError {
        AwsError::new("InvalidSignatureException", msg)
    }

    /// Verifies `req` against `secret` at `now_ms`.
    pub fn check(req: &Request<'_>, signed: &Signed, secret: &str, now_ms: i64) -> Result<(), AwsError> {
        let at = parse_amz_date(&signed.amz_date).ok_or_else(|| {
            AwsError::new(
                "IncompleteSignatureException",
                format!("Date must be in ISO-8601 'basic format'. Got '{}'.", signed.amz_date),
            )
        })?;
        if !signed.amz_date.starts_with(&signed.date) {
            return Err(invalid_signature(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                signed.date,
                &signed.amz_date[..8],
                signed.amz_date
            )));
        }
        if let Some(expires) = signed.expires {
            if now_ms > at + expires * 1000 {
                return Err(invalid_signature(format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    format_amz_date(at),
                    format_amz_date(now_ms - expires * 1000),
                    format_amz_date(now_ms),
                    expires
                )));
            }
        } else if at < now_ms - MAX_SKEW_MS {
            return Err(invalid_signature(format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                signed.amz_date,
                format_amz_date(now_ms - MAX_SKEW_MS),
                format_amz_date(now_ms)
            )));
        }
        if at > now_ms + MAX_SKEW_MS {
            return Err(invalid_signature(format!(
                "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                signed.amz_date,
                format_amz_date(now_ms + MAX_SKEW_MS),
                format_amz_date(now_ms)
            )));
        }
        let body_hash = sha256_hex(req.body);
        let claimed = header_value(req, "x-amz-content-sha256");
        if let Some(c) = &claimed
            && c != "UNSIGNED-PAYLOAD"
            && *c != body_hash
        {
            return Err(invalid_signature(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
        let mut candidates = vec![claimed.unwrap_or(body_hash)];
        if signed.presigned {
            candidates.push("UNSIGNED-PAYLOAD".into());
        }
        let ok = candidates
            .iter()
            .any(|p| constant_time_eq(signature(req, signed, secret, p).as_bytes(), signed.signature.as_bytes()));
        if ok {
            Ok(())
        } else {
            Err(invalid_signature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ))
        }
    }

    fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn headers(h: &[(&str, &str)]) -> Vec<(String, String)> {
            h.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        }

        #[test]
        fn aws_get_vanilla_test_vector() {
            // AWS's SigV4 test suite, "get-vanilla".
            let hs = headers(&[("host", "example.amazonaws.com"), ("x-amz-date", "20150830T123600Z")]);
            let req = Request { method: "GET", path: "/", query: "", headers: &hs, body: b"" };
            let signed = Signed {
                access_key: "AKIDEXAMPLE".into(),
                date: "20150830".into(),
                region: "us-east-1".into(),
                service: "service".into(),
                signed_headers: vec!["host".into(), "x-amz-date".into()],
                signature: String::new(),
                amz_date: "20150830T123600Z".into(),
                expires: None,
                presigned: false,
            };
            let sig = signature(&req, &signed, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &sha256_hex(b""));
            assert_eq!(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        }

        #[test]
        fn sign_then_verify_and_tamper() {
            let now = parse_amz_date("20261122T010000Z").unwrap();
            let body = br#"{"StreamName":"s"}"#;
            let mut hs = headers(&[
                ("host", "127.0.0.1:4567"),
                ("x-amz-date", "20261122T010000Z"),
                ("x-amz-target", "Kinesis_20131202.DescribeStream"),
            ]);
            let mut signed = Signed {
                access_key: "AKID".into(),
                date: "20261122".into(),
                region: "us-east-1".into(),
                service: "kinesis".into(),
                signed_headers: vec!["host".into(), "x-amz-date".into(), "x-amz-target".into()],
                signature: String::new(),
                amz_date: "20261122T010000Z".into(),
                expires: None,
                presigned: false,
            };
            let req = Request { method: "POST", path: "/", query: "", headers: &hs, body };
            signed.signature = signature(&req, &signed, "secret", &sha256_hex(body));
            assert!(check(&req, &signed, "secret", now).is_ok());
            assert_eq!(check(&req, &signed, "other", now).unwrap_err().code, "InvalidSignatureException");
            let tampered = Request { body: br#"{"StreamName":"t"}"#, ..req };
            assert!(check(&tampered, &signed, "secret", now).is_err(), "the body is covered");
            let late = check(
                &Request { method: "POST", path: "/", query: "", headers: &hs, body },
                &signed,
                "secret",
                now + 16 * 60_000,
            );
            assert!(
                late.unwrap_err()
                    .message
                    .unwrap()
                    .starts_with("Signature expired: 20261122T010000Z is now earlier than 20261122T010100Z")
            );
            hs[2].1 = "Kinesis_20131202.DeleteStream".into();
            assert!(
                check(&Request { method: "POST", path: "/", query: "", headers: &hs, body }, &signed, "secret", now)
                    .is_err(),
                "signed headers are covered"
            );
        }

        #[test]
        fn amz_dates() {
            assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
            assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160_000));
            assert_eq!(parse_amz_date("2015-08-30"), None);
            assert_eq!(format_amz_date(1_440_938_160_000), "20150830T123600Z");
        }
    }
}
