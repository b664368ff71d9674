//! Where a consumer application keeps its leases and checkpoints, without DynamoDB.
//!
//! [`LeaseStore`] is the small interface the [`crate::consumer`] needs: list, create, and
//! compare-and-set on a counter that every change bumps. Two stores come with the crate:
//!
//! - [`RiffleLeaseStore`]: Riffle's lease-coordination extension, a JSON API served by the
//!   Riffle server itself (`X-Amz-Target: RiffleLeases_20261122.*`, SigV4-signed like any
//!   Kinesis call), scoped to one stream and application and stored durably with the stream;
//! - [`MemoryLeaseStore`]: in-process, for workers sharing one process (and tests).
//!
//! Why an extension in the server and not a lease stream or DynamoDB: see
//! `docs/adr/0001-lease-store.md`.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Endpoint, Error};

/// The target prefix of Riffle's lease extension.
pub const TARGET_PREFIX: &str = "RiffleLeases_20261122";

/// A checkpoint value meaning the shard is finished.
pub const SHARD_END: &str = "SHARD_END";

/// One lease: a shard of the stream, who holds it, and where its application got to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lease {
    #[serde(rename = "LeaseKey")]
    pub key: String,
    pub owner: Option<String>,
    /// Bumped by every change; changes name the counter they expect.
    pub counter: u64,
    /// `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<epoch ms>`, a sequence number, or `SHARD_END`.
    pub checkpoint: Option<String>,
    #[serde(rename = "CheckpointSubSequenceNumber")]
    pub checkpoint_sub: Option<u64>,
    #[serde(rename = "ParentLeaseKeys", default)]
    pub parents: Vec<String>,
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A lease table for one stream and application. Every change is a compare-and-set: it
/// names the counter it expects and answers `Ok(None)` when the lease has moved on.
pub trait LeaseStore: Send + Sync + 'static {
    fn list(&self) -> BoxFuture<'_, Result<Vec<Lease>, Error>>;
    /// Creates an unowned lease; `Ok(None)` if it exists already.
    fn create<'a>(
        &'a self,
        key: &'a str,
        parents: &'a [String],
        checkpoint: &'a str,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>>;
    /// Sets the owner (`None` releases) and, if given, the checkpoint.
    fn update<'a>(
        &'a self,
        key: &'a str,
        expected_counter: u64,
        owner: Option<&'a str>,
        checkpoint: Option<(&'a str, Option<u64>)>,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>>;
}

/// Leases in memory: workers of one process share them.
#[derive(Debug, Default)]
pub struct MemoryLeaseStore {
    leases: Mutex<BTreeMap<String, Lease>>,
}

impl LeaseStore for MemoryLeaseStore {
    fn list(&self) -> BoxFuture<'_, Result<Vec<Lease>, Error>> {
        let all = self.leases.lock().expect("lock").values().cloned().collect();
        Box::pin(async move { Ok(all) })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        parents: &'a [String],
        checkpoint: &'a str,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>> {
        let mut t = self.leases.lock().expect("lock");
        let out = if t.contains_key(key) {
            None
        } else {
            let l = Lease {
                key: key.to_string(),
                owner: None,
                counter: 0,
                checkpoint: Some(checkpoint.to_string()),
                checkpoint_sub: None,
                parents: parents.to_vec(),
            };
            t.insert(key.to_string(), l.clone());
            Some(l)
        };
        Box::pin(async move { Ok(out) })
    }

    fn update<'a>(
        &'a self,
        key: &'a str,
        expected_counter: u64,
        owner: Option<&'a str>,
        checkpoint: Option<(&'a str, Option<u64>)>,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>> {
        let mut t = self.leases.lock().expect("lock");
        let out = match t.get_mut(key) {
            Some(l) if l.counter == expected_counter => {
                l.owner = owner.map(str::to_string);
                if let Some((c, sub)) = checkpoint {
                    l.checkpoint = Some(c.to_string());
                    l.checkpoint_sub = sub;
                }
                l.counter += 1;
                Some(l.clone())
            }
            _ => None,
        };
        Box::pin(async move { Ok(out) })
    }
}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// The lease table kept by a Riffle server, through its lease extension.
pub struct RiffleLeaseStore {
    endpoint: Endpoint,
    url: String,
    stream: String,
    application: String,
    http: HttpClient,
}

impl RiffleLeaseStore {
    /// The leases of `application` on `stream` at the Riffle `endpoint` (which must have a URL).
    pub fn new(endpoint: &Endpoint, stream: impl Into<String>, application: impl Into<String>) -> Result<Self, Error> {
        let url = endpoint
            .url
            .clone()
            .ok_or_else(|| Error::Protocol("the lease extension needs a Riffle endpoint URL".into()))?;
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| Error::Transport(format!("TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(tls);
        Ok(RiffleLeaseStore {
            endpoint: endpoint.clone(),
            url,
            stream: stream.into(),
            application: application.into(),
            http,
        })
    }

    /// One signed call of the extension.
    async fn call(&self, op: &str, mut body: Value) -> Result<Value, Error> {
        body["StreamName"] = json!(self.stream);
        body["ApplicationName"] = json!(self.application);
        let body = Bytes::from(body.to_string());
        let target = format!("{TARGET_PREFIX}.{op}");
        let mut req = http::Request::post(&self.url)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", &target)
            .body(Full::new(body.clone()))
            .map_err(|e| Error::Protocol(e.to_string()))?;
        let host = req.uri().authority().map(|a| a.to_string()).unwrap_or_default();
        req.headers_mut()
            .insert("host", http::HeaderValue::from_str(&host).map_err(|e| Error::Protocol(e.to_string()))?);
        self.sign(&mut req, &body)?;
        let resp = self.http.request(req).await.map_err(|e| Error::Transport(e.to_string()))?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await.map_err(|e| Error::Transport(e.to_string()))?.to_bytes();
        let v: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))?
        };
        if status.is_success() {
            return Ok(v);
        }
        let code = v["__type"].as_str().unwrap_or("UnknownError");
        let code = code.rsplit('#').next().unwrap_or(code).to_string();
        Err(Error::Service { code, message: v["message"].as_str().unwrap_or_default().to_string() })
    }

    fn sign(&self, req: &mut http::Request<Full<Bytes>>, body: &[u8]) -> Result<(), Error> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let creds = aws_credential_types::Credentials::new(
            &self.endpoint.access_key_id,
            &self.endpoint.secret_access_key,
            self.endpoint.session_token.clone(),
            None,
            "riffle",
        );
        let identity = creds.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.endpoint.region)
            .name("kinesis")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Error::Protocol(e.to_string()))?
            .into();
        let headers: Vec<(String, String)> =
            req.headers().iter().filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string()))).collect();
        let uri = req.uri().to_string();
        let signable = SignableRequest::new(
            "POST",
            &uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| Error::Protocol(e.to_string()))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| Error::Protocol(e.to_string()))?.into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }

    /// A compare-and-set answer: the lease, or `None` when the condition failed.
    fn conditional(r: Result<Value, Error>) -> Result<Option<Lease>, Error> {
        match r {
            Ok(v) => serde_json::from_value(v["Lease"].clone()).map(Some).map_err(|e| Error::Protocol(e.to_string())),
            Err(Error::Service { code, .. }) if code == "ConditionalCheckFailedException" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl LeaseStore for RiffleLeaseStore {
    fn list(&self) -> BoxFuture<'_, Result<Vec<Lease>, Error>> {
        Box::pin(async move {
            let v = self.call("ListLeases", json!({})).await?;
            serde_json::from_value(v["Leases"].clone()).map_err(|e| Error::Protocol(e.to_string()))
        })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        parents: &'a [String],
        checkpoint: &'a str,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>> {
        Box::pin(async move {
            Self::conditional(
                self.call(
                    "CreateLease",
                    json!({"LeaseKey": key, "ParentLeaseKeys": parents, "Checkpoint": checkpoint}),
                )
                .await,
            )
        })
    }

    fn update<'a>(
        &'a self,
        key: &'a str,
        expected_counter: u64,
        owner: Option<&'a str>,
        checkpoint: Option<(&'a str, Option<u64>)>,
    ) -> BoxFuture<'a, Result<Option<Lease>, Error>> {
        Box::pin(async move {
            let mut body = json!({"LeaseKey": key, "ExpectedCounter": expected_counter});
            if let Some(o) = owner {
                body["Owner"] = json!(o);
            }
            if let Some((c, sub)) = checkpoint {
                body["Checkpoint"] = json!(c);
                if let Some(s) = sub {
                    body["CheckpointSubSequenceNumber"] = json!(s);
                }
            }
            Self::conditional(self.call("UpdateLease", body).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_compare_and_set() {
        let s = MemoryLeaseStore::default();
        assert!(s.create("a", &[], "TRIM_HORIZON").await.unwrap().is_some());
        assert!(s.create("a", &[], "LATEST").await.unwrap().is_none(), "exists");
        let l = s.update("a", 0, Some("w1"), None).await.unwrap().unwrap();
        assert_eq!((l.counter, l.owner.as_deref(), l.checkpoint.as_deref()), (1, Some("w1"), Some("TRIM_HORIZON")));
        assert!(s.update("a", 0, Some("w2"), None).await.unwrap().is_none(), "stale counter");
        let l = s.update("a", 1, Some("w1"), Some(("123", Some(4)))).await.unwrap().unwrap();
        assert_eq!((l.checkpoint.as_deref(), l.checkpoint_sub), (Some("123"), Some(4)));
        assert_eq!(s.list().await.unwrap().len(), 1);
    }
}
