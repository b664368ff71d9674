//! The service state shared by every operation, and its background work: finishing
//! CREATING/UPDATING/DELETING transitions and enforcing retention.
//!
//! Invariants: the in-memory catalog and the metadata store change together under the catalog's
//! write lock, so what a reader sees is always what a restart would load; stream uids are never
//! reused, so a recreated stream never sees its predecessor's records.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use riffle_log::Log;
use riffle_meta::{MetaStore, StreamKey, StreamRecord, StreamStatus};
use riffle_types::Clock;
use riffle_types::names::StreamArn;
use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::StreamRef;

use crate::crypto::Keyring;
use crate::error::{Result, StreamsError};
use crate::limits::{Limits, LimitsConfig};
use crate::token::Sealer;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct StreamsConfig {
    /// Time spent in CREATING, DELETING and UPDATING.
    pub create_delay: Duration,
    pub delete_delay: Duration,
    pub update_delay: Duration,
    /// Open shards allowed per account and region.
    pub shard_limit: u32,
    /// ON_DEMAND streams allowed per account and region.
    pub on_demand_stream_limit: u32,
    /// How often retention runs.
    pub retention_interval: Duration,
    /// Throughput limits.
    pub limits: LimitsConfig,
    /// ON_DEMAND scaling policy.
    pub autoscale: crate::autoscale::AutoscaleConfig,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        StreamsConfig {
            create_delay: Duration::ZERO,
            delete_delay: Duration::ZERO,
            update_delay: Duration::ZERO,
            shard_limit: 10_000,
            on_demand_stream_limit: 50,
            retention_interval: Duration::from_secs(60),
            limits: LimitsConfig::default(),
            autoscale: Default::default(),
        }
    }
}

/// The Data Streams service.
pub struct StreamsService {
    pub(crate) config: StreamsConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) log: Arc<Log>,
    pub(crate) sealer: Sealer,
    pub(crate) catalog: RwLock<BTreeMap<StreamKey, StreamRecord>>,
    pub(crate) limits: Limits,
    pub(crate) keyring: Keyring,
    pub(crate) fanout: crate::fanout::Fanout,
    pub(crate) leases: crate::leases::LeaseTable,
}

const ITERATOR_KEY: &str = "iterator-key";
const NEXT_UID: &str = "next-stream-uid";

impl StreamsService {
    /// Loads the catalog and finishes any transition a shutdown interrupted.
    pub fn open(
        config: StreamsConfig,
        clock: Arc<dyn Clock>,
        meta: Arc<dyn MetaStore>,
        log: Arc<Log>,
        keyring: Keyring,
    ) -> Result<Arc<StreamsService>> {
        let key = match meta.get_value(ITERATOR_KEY)? {
            Some(k) if k.len() == 32 => k.try_into().expect("32 bytes"),
            _ => {
                let k = Sealer::random_key();
                meta.put_value(ITERATOR_KEY, &k)?;
                k
            }
        };
        let mut catalog = BTreeMap::new();
        for mut s in meta.load_streams()? {
            match s.status {
                StreamStatus::Deleting => {
                    meta.delete_stream(&s.key)?;
                    log.forget_stream(s.uid);
                    continue;
                }
                StreamStatus::Creating | StreamStatus::Updating => {
                    s.status = StreamStatus::Active;
                    s.transition_until_ms = None;
                    meta.put_stream(&s)?;
                }
                StreamStatus::Active => {}
            }
            catalog.insert(s.key.clone(), s);
        }
        let limits = Limits::new(config.limits.clone(), clock.clone());
        let leases = crate::leases::LeaseTable::new(meta.load_leases()?);
        Ok(Arc::new(StreamsService {
            config,
            clock,
            meta,
            log,
            sealer: Sealer::new(&key),
            catalog: RwLock::new(catalog),
            limits,
            keyring,
            fanout: Default::default(),
            leases,
        }))
    }

    /// The operations this service answers, and those it does not build yet.
    pub fn router() -> riffle_wire::Router<StreamsService> {
        crate::ops::router()
    }

    /// The lease-coordination extension's operations (`RiffleLeases_20261122`).
    pub fn lease_router() -> riffle_wire::Router<StreamsService> {
        crate::ops::lease_router()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Allocates a stream uid that was never used before, durably.
    pub(crate) fn next_uid(&self) -> Result<u64> {
        let current = self
            .meta
            .get_value(NEXT_UID)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(1);
        self.meta.put_value(NEXT_UID, (current + 1).to_string().as_bytes())?;
        Ok(current)
    }

    /// The key of the stream a request names by `StreamName` or `StreamARN`.
    pub(crate) fn stream_key(&self, ctx: &RequestContext, r: &StreamRef) -> Result<StreamKey> {
        if let Some(arn) = &r.stream_arn {
            let arn = StreamArn::parse(arn)
                .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid StreamARN {arn}.")))?;
            if let Some(name) = &r.stream_name
                && *name != arn.name
            {
                return Err(StreamsError::InvalidArgument(format!(
                    "StreamName {name} and StreamARN {} do not refer to the same stream.",
                    arn
                )));
            }
            return Ok(StreamKey { account: arn.account, region: arn.region, name: arn.name });
        }
        match &r.stream_name {
            Some(name) => {
                Ok(StreamKey { account: ctx.account.clone(), region: ctx.region.clone(), name: name.clone() })
            }
            None => Err(StreamsError::InvalidArgument("Either StreamName or StreamARN must be provided.".into())),
        }
    }

    pub(crate) fn not_found(key: &StreamKey) -> StreamsError {
        StreamsError::StreamNotFound { name: key.name.clone(), account: key.account.clone() }
    }

    /// Runs `f` on a stream's record.
    pub(crate) fn read_stream<R>(&self, key: &StreamKey, f: impl FnOnce(&StreamRecord) -> Result<R>) -> Result<R> {
        let catalog = self.catalog.read().expect("catalog lock");
        let s = catalog.get(key).ok_or_else(|| Self::not_found(key))?;
        f(s)
    }

    /// Changes a stream's record with `f` and persists the change before anyone else sees it.
    pub(crate) fn update_stream<R>(
        &self,
        key: &StreamKey,
        f: impl FnOnce(&mut StreamRecord) -> Result<R>,
    ) -> Result<R> {
        let mut catalog = self.catalog.write().expect("catalog lock");
        let s = catalog.get_mut(key).ok_or_else(|| Self::not_found(key))?;
        let mut updated = s.clone();
        let r = f(&mut updated)?;
        self.meta.put_stream(&updated)?;
        *s = updated;
        Ok(r)
    }

    /// Ends a CREATING or UPDATING state after `delay`.
    pub(crate) fn finish_transition_after(self: &Arc<Self>, key: StreamKey, uid: u64, delay: Duration) {
        let svc = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let r = svc.update_stream(&key, |s| {
                if s.uid == uid && matches!(s.status, StreamStatus::Creating | StreamStatus::Updating) {
                    s.status = StreamStatus::Active;
                    s.transition_until_ms = None;
                }
                Ok(())
            });
            if let Err(e) = r {
                tracing::warn!(error = %e, stream = %key.name, "could not finish a stream transition");
            }
        });
    }

    /// Runs a reshard in three steps, so that no record is lost or duplicated at the switch:
    /// 1. under the catalog lock, `plan` validates against the ACTIVE stream (and the whole
    ///    catalog, for the shard limit) and names the open shards that will close; the stream
    ///    becomes UPDATING;
    /// 2. those shards are sealed in the log: appends already queued stay in the parent,
    ///    later ones are refused and re-routed by the put path once the catalog changes;
    /// 3. under the catalog lock, `apply` closes the parents at their final counters and adds
    ///    the children; the stream is ACTIVE again (after `--update-delay`).
    pub(crate) async fn reshard<P, R>(
        self: &Arc<Self>,
        key: &StreamKey,
        plan: impl FnOnce(&StreamRecord, &BTreeMap<StreamKey, StreamRecord>) -> Result<(Vec<u32>, P)>,
        apply: impl FnOnce(&mut StreamRecord, &HashMap<u32, u64>, P, i64) -> R,
    ) -> Result<R> {
        let (uid, to_seal, planned) = {
            let mut catalog = self.catalog.write().expect("catalog lock");
            let s = catalog.get(key).ok_or_else(|| Self::not_found(key))?;
            if s.status != StreamStatus::Active {
                return Err(StreamsError::StreamNotActive {
                    name: s.key.name.clone(),
                    account: s.key.account.clone(),
                    status: s.status.as_str(),
                });
            }
            let (to_seal, planned) = plan(s, &catalog)?;
            let mut updated = s.clone();
            updated.status = StreamStatus::Updating;
            self.meta.put_stream(&updated)?;
            let uid = updated.uid;
            catalog.insert(key.clone(), updated);
            (uid, to_seal, planned)
        };
        let mut ends = HashMap::new();
        for index in to_seal {
            match self.log.seal(riffle_log::ShardKey { stream: uid, shard: index }).await {
                Ok(tip) => {
                    ends.insert(index, tip.map_or(0, |t| t.next_counter - 1));
                }
                Err(e) => {
                    let _ = self.update_stream(key, |s| {
                        s.status = StreamStatus::Active;
                        Ok(())
                    });
                    return Err(e.into());
                }
            }
        }
        let delay = self.config.update_delay;
        let now = self.now_ms();
        let out = self.update_stream(key, |s| {
            let out = apply(s, &ends, planned, now);
            if delay.is_zero() {
                s.status = StreamStatus::Active;
            } else {
                s.transition_until_ms = Some(now + delay.as_millis() as i64);
            }
            Ok(out)
        })?;
        if !delay.is_zero() {
            self.finish_transition_after(key.clone(), uid, delay);
        }
        Ok(out)
    }

    /// The shard-limit check shared by CreateStream and the reshard operations: `adding` more
    /// open shards in the stream's account and region.
    pub(crate) fn check_shard_limit(
        &self,
        catalog: &BTreeMap<StreamKey, StreamRecord>,
        key: &StreamKey,
        adding: u32,
    ) -> Result<()> {
        let open: u32 = catalog
            .values()
            .filter(|s| s.key.account == key.account && s.key.region == key.region)
            .map(|s| s.open_shards().count() as u32)
            .sum();
        if u64::from(open) + u64::from(adding) > u64::from(self.config.shard_limit) {
            return Err(StreamsError::ShardLimit {
                account: key.account.clone(),
                region: key.region.clone(),
                current: open,
                limit: self.config.shard_limit,
                requested: adding,
            });
        }
        Ok(())
    }

    /// Removes a stream for good: catalog, metadata and its place in the log.
    pub(crate) fn finish_delete(&self, key: &StreamKey, uid: u64) -> Result<()> {
        let mut catalog = self.catalog.write().expect("catalog lock");
        if catalog.get(key).is_some_and(|s| s.uid == uid) {
            self.meta.delete_stream(key)?;
            catalog.remove(key);
            self.log.forget_stream(uid);
            self.limits.forget_stream(uid);
        }
        Ok(())
    }

    /// Deletes expired log segments. Records past retention are already hidden from reads.
    pub fn enforce_retention(&self) -> Result<usize> {
        let retention: HashMap<u64, i64> = {
            let catalog = self.catalog.read().expect("catalog lock");
            catalog.values().map(|s| (s.uid, i64::from(s.retention_hours) * 3_600_000)).collect()
        };
        Ok(self.log.enforce_retention(&|uid| retention.get(&uid).copied())?)
    }

    /// Starts the retention loop (once at start, then every `retention_interval`).
    pub fn spawn_background(self: &Arc<Self>) {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(svc.config.retention_interval);
            loop {
                tick.tick().await;
                let s = svc.clone();
                match tokio::task::spawn_blocking(move || s.enforce_retention()).await {
                    Ok(Ok(n)) if n > 0 => {
                        tracing::info!(segments = n, "retention deleted expired segments")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
                    _ => {}
                }
            }
        });
    }

    /// The check the router runs before every operation: authorization (with `--auth
    /// sigv4`, against the caller's identity policies and the stream's resource policy), then
    /// the control-plane rate limit.
    pub fn admit(&self, ctx: &RequestContext, op: &str, body: &serde_json::Value) -> Result<()> {
        let target = self.target_of(ctx, body);
        if let Some(principal) = &ctx.principal {
            let (resource, account, policy) = match &target {
                Some(key) => {
                    let arn = StreamArn::new(&key.region, &key.account, &key.name).to_string();
                    let policy = {
                        let catalog = self.catalog.read().expect("catalog lock");
                        catalog.get(key).and_then(|s| s.resource_policy.clone())
                    };
                    (arn, key.account.clone(), policy)
                }
                None => ("*".to_string(), ctx.account.clone(), None),
            };
            let policy = policy.and_then(|p| riffle_iam::Policy::parse(&p).ok());
            riffle_iam::authorize(principal, &format!("kinesis:{op}"), &resource, &account, policy.as_ref())
                .map_err(|d| StreamsError::AccessDenied(d.0))?;
        }
        let stream = target.as_ref().map(|k| k.name.as_str());
        self.limits.admit_control(&ctx.account, op, stream).map_err(|_| {
            StreamsError::LimitExceeded(match stream {
                Some(name) => format!("Rate exceeded for stream {name} under account {}.", ctx.account),
                None => format!("Rate exceeded for account {}.", ctx.account),
            })
        })
    }

    /// The stream a request is about: its StreamARN, ResourceARN, StreamName (in the caller's
    /// account and region), or the stream of its shard iterator.
    fn target_of(&self, ctx: &RequestContext, body: &serde_json::Value) -> Option<StreamKey> {
        let text = |k: &str| body.get(k).and_then(|v| v.as_str());
        let from_arn =
            |a: &str| StreamArn::parse(a).map(|a| StreamKey { account: a.account, region: a.region, name: a.name });
        if let Some(key) = text("StreamARN").and_then(from_arn) {
            return Some(key);
        }
        if let Some(arn) = text("ResourceARN").or_else(|| text("ConsumerARN")) {
            // A consumer ARN belongs to its stream.
            let stream_part = arn.split("/consumer/").next().unwrap_or(arn);
            return from_arn(stream_part);
        }
        if let Some(name) = text("StreamName") {
            return Some(StreamKey {
                account: ctx.account.clone(),
                region: ctx.region.clone(),
                name: name.to_string(),
            });
        }
        let it = crate::token::IteratorToken::decode(&self.sealer, text("ShardIterator")?)?;
        Some(StreamKey { account: it.account, region: it.region, name: it.stream_name })
    }

    /// Starts the ON_DEMAND scaling loop.
    pub fn spawn_autoscaler(self: &Arc<Self>) {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(svc.config.autoscale.check_interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                crate::autoscale::check(&svc).await;
            }
        });
    }

    /// Ends every SubscribeToShard stream, so that a graceful shutdown need not wait for them.
    pub fn end_subscriptions(&self) {
        self.fanout.end_all();
    }

    /// Closes the log, waiting for queued writes.
    pub fn shutdown(&self) {
        self.log.close();
    }
}
