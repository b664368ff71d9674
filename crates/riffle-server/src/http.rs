//! The AWS HTTP edge: one handler for every request on any path. It decides, in AWS's order,
//! between the JSON/CBOR protocol errors, auth errors, unknown operations and a real call, then
//! hands the decoded body to the service router. Responses carry `x-amzn-RequestId` and
//! `x-amz-id-2`, and echo the request's content type.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use riffle_streams::StreamsService;
use riffle_wire::router::Target;
use riffle_wire::sigv4::{self, AuthParts, verify};
use riffle_wire::{AwsError, Codec, Decoded, RequestContext, Router};

/// The largest request body accepted: a 10 MiB PutRecords, base64-inflated, with room to spare.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// What the handler needs.
pub struct Edge {
    /// With `--auth sigv4`, the known credentials; `None` accepts any well-formed ones.
    pub credentials: Option<crate::auth::Credentials>,
    pub streams: Arc<StreamsService>,
    pub router: Router<StreamsService>,
    /// The lease-coordination extension (`RiffleLeases_20261122.*`).
    pub lease_router: Router<StreamsService>,
    pub default_region: String,
    pub default_account: String,
}

impl Edge {
    /// The router of the service a target names.
    fn router_for(&self, target: &str) -> &Router<StreamsService> {
        match target.split_once('.') {
            Some((riffle_wire::model::leases::TARGET_PREFIX, _)) => &self.lease_router,
            _ => &self.router,
        }
    }
}

pub fn app(edge: Arc<Edge>) -> axum::Router {
    axum::Router::new().fallback(handle).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).with_state(edge)
}

fn request_headers(resp: &mut Response, request_id: &str) {
    let h = resp.headers_mut();
    h.insert("x-amzn-RequestId", HeaderValue::from_str(request_id).expect("uuid is ascii"));
    let mut id2 = [0u8; 72];
    rand::rng().fill_bytes(&mut id2);
    let id2 = base64::engine::general_purpose::STANDARD.encode(id2);
    h.insert("x-amz-id-2", HeaderValue::from_str(&id2).expect("base64 is ascii"));
}

fn json_like(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// SubscribeToShard: errors before the stream starts are ordinary error responses; then the
/// body is an event stream, chunked on HTTP/1.1 and framed on HTTP/2.
async fn subscribe(
    edge: &Edge,
    ctx: RequestContext,
    codec: Codec,
    value: serde_json::Value,
) -> Result<Response, AwsError> {
    use riffle_wire::model::kinesis::SubscribeToShard;
    let input = edge.router.prepare::<SubscribeToShard>(&edge.streams, &ctx, value)?;
    let rx = riffle_streams::fanout::subscribe(&edge.streams, input, codec).await.map_err(AwsError::from)?;
    let mut r = Response::new(axum::body::Body::from_stream(Frames(rx)));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(riffle_wire::eventstream::CONTENT_TYPE));
    Ok(r)
}

/// Event-stream frames from a subscription, as a body stream.
struct Frames(tokio::sync::mpsc::Receiver<bytes::Bytes>);

impl futures_core::Stream for Frames {
    type Item = Result<bytes::Bytes, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|f| f.map(Ok))
    }
}

/// AWS answers requests outside the JSON protocol with small XML bodies and no content type.
fn xml(status: StatusCode, body: String) -> Response {
    (status, body).into_response()
}

fn xml_error(e: &AwsError) -> Response {
    let msg = e.message.as_deref().unwrap_or("");
    xml(StatusCode::FORBIDDEN, format!("<{t}>\n  <Message>{msg}</Message>\n</{t}>\n", t = e.code))
}

async fn handle(State(edge): State<Arc<Edge>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut resp = respond(&edge, &method, &uri, &headers, body, &request_id).await;
    request_headers(&mut resp, &request_id);
    resp
}

async fn respond(
    edge: &Edge,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = text("content-type").unwrap_or("").to_string();
    let codec = if method == Method::POST { Codec::from_content_type(&content_type) } else { None };
    let target = text("x-amz-target").unwrap_or("");
    let auth = AuthParts {
        authorization: text("authorization"),
        query: uri.query(),
        has_date_header: headers.contains_key("x-amz-date") || headers.contains_key("date"),
    };

    let Some(codec) = codec else {
        // Outside the protocol: auth first, then why the request cannot be served.
        if let Err(e) = sigv4::inspect(&auth) {
            return xml_error(&e);
        }
        let parts: Vec<&str> = target.splitn(2, '.').collect();
        return match parts.as_slice() {
            [service, op] if !service.is_empty() && !op.is_empty() => match edge.router_for(target).target(target) {
                Target::Unknown
                    if *service != riffle_wire::model::kinesis::TARGET_PREFIX
                        && *service != riffle_wire::model::leases::TARGET_PREFIX =>
                {
                    xml_error(&AwsError::new(
                        "UnrecognizedClientException",
                        format!("No authorization strategy was found for service: {service}, operation: {op}"),
                    ))
                }
                Target::Unknown => xml(StatusCode::INTERNAL_SERVER_ERROR, "<InternalFailure/>\n".into()),
                _ => xml(StatusCode::NOT_FOUND, "<UnknownOperationException/>\n".into()),
            },
            _ => xml_error(&AwsError::new(
                "AccessDeniedException",
                "Unable to determine service/operation name to be authorized",
            )),
        };
    };

    // The response's content type echoes the request's.
    let ct = content_type.split(';').next().unwrap_or("").trim().to_string();
    let fail = |e: AwsError| json_like(e.status, &ct, e.body(codec));
    let router = edge.router_for(target);
    let op = router.target(target);
    // The hot operations first try their typed fast path; a body it takes is valid JSON for a
    // known operation, so no error that the generic order below would give first is skipped.
    let fast = match (codec, op) {
        (Codec::Json, Target::Known(name)) => router.fast_decode(name, &body),
        _ => None,
    };
    let decoded = match fast {
        Some(d) => d,
        None => match codec.decode(&body) {
            Ok(v) => Decoded::Value(v),
            Err(e) => return fail(e),
        },
    };
    if op == Target::Unknown {
        return fail(AwsError::bare("UnknownOperationException"));
    }
    if body.is_empty() {
        return fail(AwsError::bare("SerializationException"));
    }
    let caller = match sigv4::inspect(&auth) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let op = match op {
        Target::Known(op) => op,
        Target::NotBuilt(op) => {
            return fail(AwsError::new(
                "UnknownOperationException",
                format!("Riffle does not implement {op} yet. See the README for the operations it supports."),
            ));
        }
        Target::Streaming(op) => op,
        Target::Unknown => unreachable!("handled above"),
    };
    let (account, region, principal) = match &edge.credentials {
        None => (
            sigv4::account_for(&caller.access_key, &edge.default_account),
            caller.region.unwrap_or_else(|| edge.default_region.clone()),
            None,
        ),
        Some(creds) => {
            let mut signed_headers: Vec<(String, String)> = headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string())))
                .collect();
            if !headers.contains_key("host")
                && let Some(authority) = uri.authority()
            {
                signed_headers.push(("host".into(), authority.to_string())); // HTTP/2 :authority
            }
            let req = verify::Request {
                method: method.as_str(),
                path: uri.path(),
                query: uri.query().unwrap_or(""),
                headers: &signed_headers,
                body: &body,
            };
            match creds.verify(&req, edge.streams.now_ms()) {
                Ok((principal, region)) => (principal.account.clone(), region, Some(principal)),
                Err(e) => return fail(e),
            }
        }
    };
    let ctx = RequestContext { account, region, request_id: request_id.to_string(), principal };
    tracing::debug!(op, request_id, account = %ctx.account, region = %ctx.region, "request");
    if op == "SubscribeToShard" {
        let value = match decoded {
            Decoded::Value(v) => v,
            Decoded::Typed(_, v) => v,
        };
        return match subscribe(edge, ctx, codec, value).await {
            Ok(r) => r,
            Err(e) => fail(e),
        };
    }
    match router.call(edge.streams.clone(), ctx, op, codec, decoded).await {
        Ok(out) => json_like(200, &ct, out),
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(op, request_id, code = e.code, "request failed");
            } else {
                tracing::debug!(op, request_id, code = e.code, message = ?e.message, "request refused");
            }
            fail(e)
        }
    }
}
