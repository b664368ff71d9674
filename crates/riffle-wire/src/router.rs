//! The one generic dispatcher. Each operation is a type implementing [`Operation`] (its name,
//! member table and typed shapes, declared in [`crate::model`]); a service registers one async
//! handler per operation. A call runs: decode body, schema check, deserialize into the typed
//! input, run the handler, encode the typed output. Handlers never see HTTP or JSON.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::Codec;
use crate::error::AwsError;
use crate::schema::{self, Member};

/// Who is calling, from the SigV4 credential scope.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestContext {
    pub account: String,
    pub region: String,
    pub request_id: String,
    /// The verified caller with `--auth sigv4`; `None` when signatures are not verified, in
    /// which case no policy is evaluated.
    pub principal: Option<std::sync::Arc<riffle_iam::Principal>>,
}

/// An AWS operation: its name, member table and typed shapes.
pub trait Operation {
    const NAME: &'static str;
    const MEMBERS: &'static [Member];
    /// Operations with no output answer 200 with an empty body.
    const EMPTY_OUTPUT: bool = false;
    type Input: DeserializeOwned + Send + 'static;
    type Output: Serialize + Send + 'static;

    /// A fast path for the common, valid request: the typed input decoded straight from a
    /// JSON body, after checking every constraint of [`Operation::MEMBERS`] in code, plus the
    /// members the guard reads (StreamName, StreamARN). `None` sends the request down the
    /// generic path, which produces AWS's exact error for whatever is wrong; so a fast path
    /// may refuse anything, but must never accept what the generic path would reject.
    fn fast_json(_body: &[u8]) -> Option<(Self::Input, serde_json::Value)> {
        None
    }

    /// Encodes the output. Hot operations override this with a writer that produces the
    /// same bytes as the serde path, faster (held equal by a property test).
    fn encode(output: &Self::Output, codec: Codec) -> Vec<u8> {
        codec.encode(output)
    }
}

/// A request body on its way to an operation.
pub enum Decoded {
    /// The generic form: checked against the member table, then deserialized.
    Value(serde_json::Value),
    /// Already typed by [`Operation::fast_json`], with the guard's view of it.
    Typed(Box<dyn std::any::Any + Send>, serde_json::Value),
}

impl Decoded {
    /// What the guard reads.
    pub fn view(&self) -> &serde_json::Value {
        match self {
            Decoded::Value(v) | Decoded::Typed(_, v) => v,
        }
    }
}

type FastDecode = fn(&[u8]) -> Option<Decoded>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler<S> =
    Box<dyn Fn(Arc<S>, RequestContext, Decoded, Codec) -> BoxFuture<Result<Vec<u8>, AwsError>> + Send + Sync>;

type Guard<S> = Box<dyn Fn(&S, &RequestContext, &str, &serde_json::Value) -> Result<(), AwsError> + Send + Sync>;

/// Routes `X-Amz-Target: <prefix>.<Operation>` to handlers over a service `S`.
pub struct Router<S> {
    prefix: &'static str,
    ops: HashMap<&'static str, Handler<S>>,
    fast: HashMap<&'static str, FastDecode>,
    not_built: HashSet<&'static str>,
    streaming: HashSet<&'static str>,
    guard: Option<Guard<S>>,
}

/// What a target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A registered operation.
    Known(&'a str),
    /// An operation whose output is an event stream, served by the edge itself after
    /// [`Router::prepare`].
    Streaming(&'a str),
    /// An operation of this service that Riffle does not build yet.
    NotBuilt(&'a str),
    /// Not an operation of this service.
    Unknown,
}

impl<S: Send + Sync + 'static> Router<S> {
    pub fn new(prefix: &'static str) -> Self {
        Router {
            prefix,
            ops: HashMap::new(),
            fast: HashMap::new(),
            not_built: HashSet::new(),
            streaming: HashSet::new(),
            guard: None,
        }
    }

    /// Registers the handler of operation `O`.
    pub fn route<O, F, Fut, E>(mut self, handler: F) -> Self
    where
        O: Operation,
        F: Fn(Arc<S>, RequestContext, O::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O::Output, E>> + Send + 'static,
        E: Into<AwsError>,
    {
        let handler = Arc::new(handler);
        self.ops.insert(
            O::NAME,
            Box::new(move |svc, ctx, body, codec| {
                let handler = handler.clone();
                Box::pin(async move {
                    let input: O::Input = match body {
                        Decoded::Value(mut body) => {
                            schema::check(O::MEMBERS, &mut body)?;
                            serde_json::from_value(body).map_err(|e| AwsError::serialization(e.to_string()))?
                        }
                        Decoded::Typed(input, _) => *input.downcast::<O::Input>().expect("typed by this operation"),
                    };
                    let output = handler(svc, ctx, input).await.map_err(Into::into)?;
                    Ok(if O::EMPTY_OUTPUT { Vec::new() } else { O::encode(&output, codec) })
                })
            }),
        );
        self.fast.insert(O::NAME, |body| {
            O::fast_json(body)
                .map(|(input, view)| Decoded::Typed(Box::new(input) as Box<dyn std::any::Any + Send>, view))
        });
        self
    }

    /// The fast path of `op` for a JSON body, if it has one and the body takes it.
    pub fn fast_decode(&self, op: &str, body: &[u8]) -> Option<Decoded> {
        self.fast.get(op).and_then(|f| f(body))
    }

    /// Declares operations that exist in the AWS API but are not built yet: they answer
    /// `UnknownOperationException` with a message saying so, never a fake success.
    pub fn not_built(mut self, names: &[&'static str]) -> Self {
        self.not_built.extend(names);
        self
    }

    /// Declares operations whose output is an event stream (see [`Target::Streaming`]).
    pub fn streaming(mut self, names: &[&'static str]) -> Self {
        self.streaming.extend(names);
        self.not_built.retain(|n| !names.contains(n));
        self
    }

    /// Runs the schema check and the guard for operation `O` and deserializes its input, for
    /// operations the edge serves itself.
    pub fn prepare<O: Operation>(
        &self,
        svc: &S,
        ctx: &RequestContext,
        mut body: serde_json::Value,
    ) -> Result<O::Input, AwsError> {
        if let Some(g) = &self.guard {
            g(svc, ctx, O::NAME, &body)?;
        }
        schema::check(O::MEMBERS, &mut body)?;
        serde_json::from_value(body).map_err(|e| AwsError::serialization(e.to_string()))
    }

    /// Installs a check that runs before every operation (rate limits, later authorization)
    /// with the caller, the operation name and the decoded body.
    pub fn guard<F, E>(mut self, f: F) -> Self
    where
        F: Fn(&S, &RequestContext, &str, &serde_json::Value) -> Result<(), E> + Send + Sync + 'static,
        E: Into<AwsError>,
    {
        self.guard = Some(Box::new(move |svc, ctx, op, body| f(svc, ctx, op, body).map_err(Into::into)));
        self
    }

    /// Classifies an `X-Amz-Target` value.
    pub fn target<'a>(&self, target: &'a str) -> Target<'a> {
        let Some((service, op)) = target.split_once('.') else {
            return Target::Unknown;
        };
        if service != self.prefix {
            Target::Unknown
        } else if self.ops.contains_key(op) {
            Target::Known(op)
        } else if self.streaming.contains(op) {
            Target::Streaming(op)
        } else if self.not_built.contains(op) {
            Target::NotBuilt(op)
        } else {
            Target::Unknown
        }
    }

    /// Runs a registered operation on a decoded body.
    pub async fn call(
        &self,
        svc: Arc<S>,
        ctx: RequestContext,
        op: &str,
        codec: Codec,
        body: Decoded,
    ) -> Result<Vec<u8>, AwsError> {
        match self.ops.get(op) {
            Some(h) => {
                // The guard (authorization, rate limits) runs before validation, as AWS's does.
                if let Some(g) = &self.guard {
                    g(&svc, &ctx, op, body.view())?;
                }
                h(svc, ctx, body, codec).await
            }
            None => Err(AwsError::bare("UnknownOperationException")),
        }
    }

    /// Every registered operation name, sorted (for docs and tests).
    pub fn operations(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.ops.keys().copied().collect();
        v.sort_unstable();
        v
    }
}
