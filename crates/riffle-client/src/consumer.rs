//! A KCL-style consumer: workers of one application share a stream's shards through leases,
//! read them by polling or enhanced fan-out, hand de-aggregated records to a
//! [`RecordProcessor`], and checkpoint where they got to. Delivery is at least once: a worker
//! that dies leaves its leases to expire, and another worker takes them over from their last
//! checkpoint.
//!
//! - **Leases** live in a [`LeaseStore`] (Riffle's lease extension, or in memory); every
//!   change is a compare-and-set, so two workers never both hold a lease.
//! - **Balancing.** Each worker aims at its share (leases / live workers, rounded up). It
//!   takes unowned and expired leases (a lease is expired when its counter has not moved
//!   for [`ConsumerConfig::lease_duration`]), and steals one lease at a time from a worker
//!   above its share.
//! - **Lineage.** A shard's lease becomes eligible only once every parent's lease has reached
//!   `SHARD_END`, so each partition key's records are processed in order across reshards.
//! - **Checkpoints** are sequence numbers (with the sub-sequence number of a KPL aggregated
//!   record); a restarted shard continues just after its checkpoint.
//!
//! ```no_run
//! use riffle_client::consumer::{Checkpointer, ConsumerConfig, ConsumerRecord, RecordProcessor, Worker};
//! use riffle_client::leases::RiffleLeaseStore;
//!
//! struct Printer;
//! impl RecordProcessor for Printer {
//!     async fn process_records(&mut self, records: Vec<ConsumerRecord>, checkpointer: &Checkpointer) {
//!         for r in &records {
//!             println!("{} {}", r.shard_id, String::from_utf8_lossy(&r.data));
//!         }
//!         let _ = checkpointer.checkpoint().await;
//!     }
//! }
//!
//! # async fn run() -> Result<(), riffle_client::Error> {
//! let endpoint = riffle_client::Endpoint::local();
//! let store = RiffleLeaseStore::new(&endpoint, "orders", "billing")?;
//! let worker = Worker::new(riffle_client::connect(&endpoint), store, ConsumerConfig::new("billing", "orders"), |_: &str| Printer);
//! worker.run_until(tokio::signal::ctrl_c()).await
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{ConsumerStatus, ShardIteratorType, StartingPosition, SubscribeToShardEventStream};
use bytes::Bytes;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::Error;
use crate::agg::deaggregate;
use crate::leases::{Lease, LeaseStore, SHARD_END};

/// Where an application starts on shards it has never read.
#[derive(Debug, Clone, PartialEq)]
pub enum InitialPosition {
    TrimHorizon,
    Latest,
    AtTimestamp(DateTime),
}

/// How records are fetched.
#[derive(Debug, Clone, PartialEq)]
pub enum Retrieval {
    /// GetRecords, waiting `idle` between empty reads.
    Polling { idle: Duration, max_records: i32 },
    /// SubscribeToShard as this registered consumer (registered if needed).
    FanOut { consumer_name: String },
}

/// A worker's settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub application: String,
    pub stream: String,
    /// Unique per worker.
    pub worker_id: String,
    pub initial_position: InitialPosition,
    /// A lease whose counter has not moved for this long is free to take.
    pub lease_duration: Duration,
    pub retrieval: Retrieval,
    /// Most leases this worker holds.
    pub max_leases: usize,
}

impl ConsumerConfig {
    pub fn new(application: impl Into<String>, stream: impl Into<String>) -> Self {
        ConsumerConfig {
            application: application.into(),
            stream: stream.into(),
            worker_id: format!("worker-{}-{:08x}", std::process::id(), rand_u32()),
            initial_position: InitialPosition::TrimHorizon,
            lease_duration: Duration::from_secs(10),
            retrieval: Retrieval::Polling { idle: Duration::from_millis(200), max_records: 10_000 },
            max_leases: usize::MAX,
        }
    }
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish() as u32
}

/// One user record, de-aggregated.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerRecord {
    pub shard_id: String,
    pub sequence_number: String,
    /// The record's index inside a KPL aggregated record.
    pub sub_sequence_number: Option<u64>,
    pub partition_key: String,
    pub data: Bytes,
    pub arrival: Option<DateTime>,
}

/// The application's code for one shard. A processor is created per lease it gets.
pub trait RecordProcessor: Send + 'static {
    /// Called once before the first records.
    fn initialize(&mut self, _shard_id: &str) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// A batch of records, in order.
    fn process_records(
        &mut self,
        records: Vec<ConsumerRecord>,
        checkpointer: &Checkpointer,
    ) -> impl Future<Output = ()> + Send;
    /// Another worker took the lease: stop, do not checkpoint.
    fn lease_lost(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// The shard is finished (after a reshard). The worker checkpoints `SHARD_END` after this
    /// returns, so that the children can start.
    fn shard_ended(&mut self, _checkpointer: &Checkpointer) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// The worker is shutting down: a last chance to checkpoint.
    fn shutdown_requested(&mut self, _checkpointer: &Checkpointer) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Makes a processor for each shard the worker gets.
pub trait ProcessorFactory: Send + Sync + 'static {
    type Processor: RecordProcessor;
    fn create(&self, shard_id: &str) -> Self::Processor;
}

impl<F: Fn(&str) -> P + Send + Sync + 'static, P: RecordProcessor> ProcessorFactory for F {
    type Processor = P;
    fn create(&self, shard_id: &str) -> P {
        self(shard_id)
    }
}

/// A lease this worker holds: its counter, changed only under the lock, so renewals and
/// checkpoints never race each other.
struct Held {
    store: Arc<dyn LeaseStore>,
    key: String,
    worker: String,
    counter: Mutex<u64>,
    lost: std::sync::atomic::AtomicBool,
}

impl Held {
    /// A compare-and-set keeping ownership; `Err(LeaseLost)` once another worker has it.
    async fn write(&self, checkpoint: Option<(&str, Option<u64>)>, owner: Option<&str>) -> Result<Lease, Error> {
        let mut counter = self.counter.lock().await;
        if self.lost.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::LeaseLost(self.key.clone()));
        }
        match self.store.update(&self.key, *counter, owner, checkpoint).await? {
            Some(l) => {
                *counter = l.counter;
                Ok(l)
            }
            None => {
                self.lost.store(true, std::sync::atomic::Ordering::Release);
                Err(Error::LeaseLost(self.key.clone()))
            }
        }
    }

    async fn renew(&self) -> Result<Lease, Error> {
        self.write(None, Some(&self.worker.clone())).await
    }
}

/// A record's place: sequence number and sub-sequence number.
type Position = (String, Option<u64>);

/// Records where a shard's processing got to.
#[derive(Clone)]
pub struct Checkpointer {
    held: Arc<Held>,
    last: Arc<std::sync::Mutex<Option<Position>>>,
}

impl Checkpointer {
    /// Checkpoints at the last record handed to the processor.
    pub async fn checkpoint(&self) -> Result<(), Error> {
        let last = self.last.lock().expect("lock").clone();
        match last {
            Some((seq, sub)) => self.checkpoint_at(&seq, sub).await,
            None => Ok(()),
        }
    }

    /// Checkpoints at a record: processing restarts just after it.
    pub async fn checkpoint_at(&self, sequence_number: &str, sub_sequence_number: Option<u64>) -> Result<(), Error> {
        let me = self.held.worker.clone();
        self.held.write(Some((sequence_number, sub_sequence_number)), Some(&me)).await.map(|_| ())
    }

    async fn shard_end(&self) -> Result<(), Error> {
        self.held.write(Some((SHARD_END, None)), None).await.map(|_| ())
    }
}

/// Why a shard's task stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Run,
    LeaseLost,
    Shutdown,
}

/// A worker of a consumer application.
pub struct Worker<F: ProcessorFactory> {
    client: Client,
    store: Arc<dyn LeaseStore>,
    config: ConsumerConfig,
    factory: Arc<F>,
}

impl<F: ProcessorFactory> Worker<F> {
    pub fn new(client: Client, store: impl LeaseStore, config: ConsumerConfig, factory: F) -> Self {
        Worker { client, store: Arc::new(store), config, factory: Arc::new(factory) }
    }

    /// A worker sharing a lease store with others (e.g. one [`crate::leases::MemoryLeaseStore`]).
    pub fn with_shared_store(client: Client, store: Arc<dyn LeaseStore>, config: ConsumerConfig, factory: F) -> Self {
        Worker { client, store, config, factory: Arc::new(factory) }
    }

    /// Runs until `shutdown` completes, then asks each processor to finish, and releases
    /// the leases. Dropping the future instead stops everything at once, like a crash: the
    /// leases then expire and other workers take them over.
    pub async fn run_until(self, shutdown: impl Future<Output = impl Sized>) -> Result<(), Error> {
        let consumer_arn = match &self.config.retrieval {
            Retrieval::FanOut { consumer_name } => {
                Some(register(&self.client, &self.config.stream, consumer_name).await?)
            }
            Retrieval::Polling { .. } => None,
        };
        let mut tasks: JoinSet<(String, bool)> = JoinSet::new();
        let mut held: HashMap<String, (Arc<Held>, watch::Sender<Stop>)> = HashMap::new();
        let mut seen: HashMap<String, (u64, Instant)> = HashMap::new();
        let tick = self.config.lease_duration / 3;
        let mut shutdown = std::pin::pin!(shutdown);
        let mut next_sync = Instant::now();
        loop {
            // Leases: keep ours, create missing ones, take our share.
            for (key, (h, stop)) in &held {
                if h.renew().await.is_err() && h.lost.load(std::sync::atomic::Ordering::Acquire) {
                    let _ = stop.send(Stop::LeaseLost);
                    tracing::info!(lease = %key, "lease lost");
                }
            }
            if Instant::now() >= next_sync {
                if let Err(e) = self.sync_shards().await {
                    tracing::warn!(error = %e, "shard sync failed");
                }
                next_sync = Instant::now() + self.config.lease_duration;
            }
            match self.take(&held, &mut seen).await {
                Ok(taken) => {
                    for lease in taken {
                        let h = Arc::new(Held {
                            store: self.store.clone(),
                            key: lease.key.clone(),
                            worker: self.config.worker_id.clone(),
                            counter: Mutex::new(lease.counter),
                            lost: Default::default(),
                        });
                        let (tx, rx) = watch::channel(Stop::Run);
                        held.insert(lease.key.clone(), (h.clone(), tx));
                        let shard = ShardTask {
                            client: self.client.clone(),
                            stream: self.config.stream.clone(),
                            retrieval: self.config.retrieval.clone(),
                            consumer_arn: consumer_arn.clone(),
                            lease,
                            held: h,
                        };
                        let processor = self.factory.create(&shard.lease.key);
                        tasks.spawn(shard.run(processor, rx));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "taking leases failed"),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                Some(Ok((key, _finished))) = tasks.join_next(), if !tasks.is_empty() => {
                    held.remove(&key);
                }
                _ = tokio::time::sleep(tick) => {}
            }
            while let Some(Ok((key, _))) = tasks.try_join_next() {
                held.remove(&key);
            }
        }
        for (_, stop) in held.values() {
            let _ = stop.send(Stop::Shutdown);
        }
        while tasks.join_next().await.is_some() {}
        for (h, _) in held.values() {
            if !h.lost.load(std::sync::atomic::Ordering::Acquire) {
                let _ = h.write(None, None).await; // release
            }
        }
        Ok(())
    }

    /// Creates a lease for each shard that has none: children start at their beginning, the
    /// rest at the initial position.
    async fn sync_shards(&self) -> Result<(), Error> {
        let shards = crate::shards::list_shards(&self.client, &self.config.stream).await?;
        let known: HashSet<String> = self.store.list().await?.into_iter().map(|l| l.key).collect();
        let ids: HashSet<&str> = shards.iter().map(|s| s.shard_id()).collect();
        for s in &shards {
            if known.contains(s.shard_id()) {
                continue;
            }
            let parents: Vec<String> =
                [s.parent_shard_id(), s.adjacent_parent_shard_id()].into_iter().flatten().map(str::to_string).collect();
            let is_child = parents.iter().any(|p| ids.contains(p.as_str()) || known.contains(p));
            let open = s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none());
            let checkpoint = if is_child {
                "TRIM_HORIZON".to_string()
            } else {
                match &self.config.initial_position {
                    InitialPosition::TrimHorizon => "TRIM_HORIZON".to_string(),
                    InitialPosition::Latest if !open => continue, // nothing new will come
                    InitialPosition::Latest => "LATEST".to_string(),
                    InitialPosition::AtTimestamp(t) => format!("AT_TIMESTAMP:{}", t.to_millis().unwrap_or(0)),
                }
            };
            self.store.create(s.shard_id(), &parents, &checkpoint).await?;
        }
        Ok(())
    }

    /// Takes this worker's share of the eligible leases.
    async fn take(
        &self,
        held: &HashMap<String, (Arc<Held>, watch::Sender<Stop>)>,
        seen: &mut HashMap<String, (u64, Instant)>,
    ) -> Result<Vec<Lease>, Error> {
        let me = &self.config.worker_id;
        let leases = self.store.list().await?;
        let now = Instant::now();
        let by_key: HashMap<&str, &Lease> = leases.iter().map(|l| (l.key.as_str(), l)).collect();
        let finished = |k: &str| by_key.get(k).is_none_or(|l| l.checkpoint.as_deref() == Some(SHARD_END));
        let mut eligible = Vec::new();
        let mut expired = Vec::new();
        let mut load: HashMap<&str, usize> = HashMap::new();
        for l in &leases {
            let entry = seen.entry(l.key.clone()).or_insert((l.counter, now));
            if entry.0 != l.counter {
                *entry = (l.counter, now);
            }
            if l.checkpoint.as_deref() == Some(SHARD_END) || !l.parents.iter().all(|p| finished(p)) {
                continue;
            }
            eligible.push(l);
            let is_expired = l.owner.is_none()
                || (l.owner.as_deref() != Some(me) && now.duration_since(entry.1) >= self.config.lease_duration);
            if is_expired {
                if !held.contains_key(&l.key) {
                    expired.push(l);
                }
            } else if let Some(o) = &l.owner {
                *load.entry(o.as_str()).or_default() += 1;
            }
        }
        let mine = held.len();
        load.insert(me.as_str(), mine);
        let target = eligible.len().div_ceil(load.len().max(1)).min(self.config.max_leases);
        if mine >= target {
            return Ok(Vec::new());
        }
        let mut want = target - mine;
        let mut taken = Vec::new();
        for l in expired {
            if want == 0 {
                break;
            }
            if let Some(t) = self.store.update(&l.key, l.counter, Some(me), None).await? {
                taken.push(t);
                want -= 1;
            }
        }
        // Still short: steal one lease from the busiest worker above its share.
        if want > 0
            && let Some((victim, n)) = load.iter().filter(|(w, _)| **w != me.as_str()).max_by_key(|(_, n)| **n)
            && *n > target
            && let Some(l) = eligible.iter().find(|l| l.owner.as_deref() == Some(*victim))
            && let Some(t) = self.store.update(&l.key, l.counter, Some(me), None).await?
        {
            taken.push(t);
        }
        Ok(taken)
    }
}

/// Registers (or finds) an enhanced fan-out consumer of `stream` and waits until it is
/// ACTIVE; returns its ARN.
pub async fn register(client: &Client, stream: &str, name: &str) -> Result<String, Error> {
    let s = client.describe_stream_summary().stream_name(stream).send().await.map_err(Error::from_sdk)?;
    let arn = s.stream_description_summary().map(|d| d.stream_arn().to_string()).unwrap_or_default();
    let arn_of = match client.describe_stream_consumer().stream_arn(&arn).consumer_name(name).send().await {
        Ok(c) => c.consumer_description().map(|c| c.consumer_arn().to_string()),
        Err(_) => client
            .register_stream_consumer()
            .stream_arn(&arn)
            .consumer_name(name)
            .send()
            .await
            .map_err(Error::from_sdk)?
            .consumer()
            .map(|c| c.consumer_arn().to_string()),
    };
    let consumer_arn = arn_of.ok_or_else(|| Error::Protocol("no consumer ARN".into()))?;
    for _ in 0..300 {
        let d = client.describe_stream_consumer().consumer_arn(&consumer_arn).send().await.map_err(Error::from_sdk)?;
        if d.consumer_description().is_some_and(|c| c.consumer_status() == &ConsumerStatus::Active) {
            return Ok(consumer_arn);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Protocol(format!("consumer {name} did not become ACTIVE")))
}

/// Where a shard starts, from its lease's checkpoint: the type, a sequence number or time,
/// and the sub-sequence number of a KPL record already processed.
fn start_of(lease: &Lease) -> (ShardIteratorType, Option<String>, Option<DateTime>, Option<u64>) {
    match lease.checkpoint.as_deref().unwrap_or("TRIM_HORIZON") {
        "TRIM_HORIZON" => (ShardIteratorType::TrimHorizon, None, None, None),
        "LATEST" => (ShardIteratorType::Latest, None, None, None),
        c if c.starts_with("AT_TIMESTAMP:") => {
            let ms = c["AT_TIMESTAMP:".len()..].parse().unwrap_or(0);
            (ShardIteratorType::AtTimestamp, None, Some(DateTime::from_millis(ms)), None)
        }
        // Inside an aggregated record: read it again and skip what was done.
        seq if lease.checkpoint_sub.is_some() => {
            (ShardIteratorType::AtSequenceNumber, Some(seq.to_string()), None, lease.checkpoint_sub)
        }
        seq => (ShardIteratorType::AfterSequenceNumber, Some(seq.to_string()), None, None),
    }
}

/// The user records in `records` of `shard`: KPL aggregated records split into theirs (when
/// `split`), the others as they are.
pub fn to_user_records(shard: &str, records: &[aws_sdk_kinesis::types::Record], split: bool) -> Vec<ConsumerRecord> {
    user_records(shard, records, &mut None, split)
}

/// De-aggregates `records` of `shard`, skipping the part of the first record that an
/// aggregated checkpoint already covers.
fn user_records(
    shard: &str,
    records: &[aws_sdk_kinesis::types::Record],
    skip: &mut Option<(String, u64)>,
    split: bool,
) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    for r in records {
        let data = Bytes::copy_from_slice(r.data().as_ref());
        let seq = r.sequence_number();
        let done_sub = match skip.take() {
            Some((s, sub)) if s == seq => Some(sub),
            _ => None,
        };
        match deaggregate(&data).filter(|_| split) {
            Some(users) => {
                for (i, u) in users.into_iter().enumerate() {
                    if done_sub.is_some_and(|d| i as u64 <= d) {
                        continue;
                    }
                    out.push(ConsumerRecord {
                        shard_id: shard.to_string(),
                        sequence_number: seq.to_string(),
                        sub_sequence_number: Some(i as u64),
                        partition_key: u.partition_key,
                        data: u.data,
                        arrival: r.approximate_arrival_timestamp().copied(),
                    });
                }
            }
            None if done_sub.is_some() => {}
            None => out.push(ConsumerRecord {
                shard_id: shard.to_string(),
                sequence_number: seq.to_string(),
                sub_sequence_number: None,
                partition_key: r.partition_key().unwrap_or_default().to_string(),
                data,
                arrival: r.approximate_arrival_timestamp().copied(),
            }),
        }
    }
    out
}

/// Reads one leased shard and feeds its processor.
struct ShardTask {
    client: Client,
    stream: String,
    retrieval: Retrieval,
    consumer_arn: Option<String>,
    lease: Lease,
    held: Arc<Held>,
}

/// One fetch: records, and whether the shard has ended.
struct Fetched {
    records: Vec<aws_sdk_kinesis::types::Record>,
    ended: bool,
}

impl ShardTask {
    /// Returns the lease key and whether the shard was finished.
    async fn run<P: RecordProcessor>(self, mut processor: P, mut stop: watch::Receiver<Stop>) -> (String, bool) {
        let key = self.lease.key.clone();
        let checkpointer = Checkpointer { held: self.held.clone(), last: Default::default() };
        processor.initialize(&key).await;
        let (kind, seq, at, sub) = start_of(&self.lease);
        let mut skip = sub.map(|s| (seq.clone().unwrap_or_default(), s));
        let mut source = match Source::open(&self, kind, seq, at).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(shard = %key, error = %e, "cannot start reading");
                // Give the lease back so that it is retried.
                let _ = self.held.write(None, None).await;
                return (key, false);
            }
        };
        loop {
            let fetched = tokio::select! {
                _ = stop.changed() => None,
                f = source.next(&self) => Some(f),
            };
            let why = *stop.borrow();
            if fetched.is_none() || why != Stop::Run {
                match why {
                    Stop::LeaseLost => processor.lease_lost().await,
                    _ => processor.shutdown_requested(&checkpointer).await,
                }
                return (key, false);
            }
            let fetched = match fetched.expect("checked") {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(shard = %key, error = %e, "fetch failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let batch = user_records(&key, &fetched.records, &mut skip, true);
            if let Some(last) = batch.last() {
                *checkpointer.last.lock().expect("lock") =
                    Some((last.sequence_number.clone(), last.sub_sequence_number));
                processor.process_records(batch, &checkpointer).await;
                if self.held.lost.load(std::sync::atomic::Ordering::Acquire) {
                    processor.lease_lost().await;
                    return (key, false);
                }
            }
            if fetched.ended {
                processor.shard_ended(&checkpointer).await;
                let _ = checkpointer.shard_end().await;
                return (key, true);
            }
        }
    }
}

/// Where a shard task's records come from.
enum Source {
    Polling {
        iterator: Option<String>,
        idle: Duration,
        max_records: i32,
        empty: bool,
    },
    FanOut {
        stream: Option<Box<aws_sdk_kinesis::operation::subscribe_to_shard::SubscribeToShardOutput>>,
        continuation: Option<String>,
        start: (ShardIteratorType, Option<String>, Option<DateTime>),
    },
}

impl Source {
    async fn open(
        t: &ShardTask,
        kind: ShardIteratorType,
        seq: Option<String>,
        at: Option<DateTime>,
    ) -> Result<Source, Error> {
        if let (Retrieval::FanOut { .. }, Some(_)) = (&t.retrieval, &t.consumer_arn) {
            return Ok(Source::FanOut { stream: None, continuation: None, start: (kind, seq, at) });
        }
        let (idle, max_records) = match &t.retrieval {
            Retrieval::Polling { idle, max_records } => (*idle, *max_records),
            Retrieval::FanOut { .. } => (Duration::from_millis(200), 10_000),
        };
        let it = t
            .client
            .get_shard_iterator()
            .stream_name(&t.stream)
            .shard_id(&t.lease.key)
            .shard_iterator_type(kind)
            .set_starting_sequence_number(seq)
            .set_timestamp(at)
            .send()
            .await
            .map_err(Error::from_sdk)?;
        Ok(Source::Polling { iterator: it.shard_iterator().map(str::to_string), idle, max_records, empty: false })
    }

    async fn next(&mut self, t: &ShardTask) -> Result<Fetched, Error> {
        match self {
            Source::Polling { iterator, idle, max_records, empty } => {
                if *empty {
                    tokio::time::sleep(*idle).await;
                }
                let Some(it) = iterator.clone() else { return Ok(Fetched { records: vec![], ended: true }) };
                let out = match t.client.get_records().shard_iterator(&it).limit(*max_records).send().await {
                    Ok(o) => o,
                    Err(e) => {
                        let e = Error::from_sdk(e);
                        if e.is_retryable() {
                            *empty = true;
                            return Ok(Fetched { records: vec![], ended: false });
                        }
                        return Err(e);
                    }
                };
                *iterator = out.next_shard_iterator().map(str::to_string);
                *empty = out.records().is_empty();
                Ok(Fetched { records: out.records().to_vec(), ended: iterator.is_none() })
            }
            Source::FanOut { stream, continuation, start } => loop {
                if stream.is_none() {
                    let (kind, seq, at) = match continuation {
                        Some(c) => (ShardIteratorType::AfterSequenceNumber, Some(c.clone()), None),
                        None => start.clone(),
                    };
                    let pos = StartingPosition::builder()
                        .r#type(kind)
                        .set_sequence_number(seq)
                        .set_timestamp(at)
                        .build()
                        .map_err(|e| Error::Protocol(e.to_string()))?;
                    let sub = t
                        .client
                        .subscribe_to_shard()
                        .consumer_arn(t.consumer_arn.as_deref().unwrap_or_default())
                        .shard_id(&t.lease.key)
                        .starting_position(pos)
                        .send()
                        .await
                        .map_err(Error::from_sdk)?;
                    *stream = Some(Box::new(sub));
                }
                let ev = stream.as_mut().expect("set above").event_stream.recv().await;
                match ev {
                    Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(e))) => {
                        let ended = !e.child_shards().is_empty() && e.continuation_sequence_number().is_empty();
                        if let Some(last) = e.records().last() {
                            *continuation = Some(last.sequence_number().to_string());
                        }
                        if !e.records().is_empty() || ended {
                            return Ok(Fetched { records: e.records().to_vec(), ended });
                        }
                    }
                    Ok(Some(_)) => {}
                    // The subscription ended (after 5 minutes) or broke: subscribe again after
                    // the last record seen.
                    Ok(None) => *stream = None,
                    Err(e) => {
                        *stream = None;
                        return Err(Error::Transport(aws_sdk_kinesis::error::DisplayErrorContext(e).to_string()));
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;
    use aws_sdk_kinesis::types::Record;

    fn rec(seq: &str, data: Bytes) -> Record {
        Record::builder().sequence_number(seq).partition_key("k").data(Blob::new(data.to_vec())).build().unwrap()
    }

    #[test]
    fn an_aggregated_checkpoint_skips_what_was_done() {
        let mut agg = crate::agg::Aggregator::new(10_000);
        for i in 0..4 {
            agg.add(crate::agg::UserRecord::new(format!("k{i}"), Bytes::from(format!("r{i}"))));
        }
        let packed = agg.finish().unwrap().data;
        let records = vec![rec("1", packed.clone()), rec("2", Bytes::from_static(b"plain"))];
        let mut skip = Some(("1".to_string(), 1));
        let got = user_records("s", &records, &mut skip, true);
        let data: Vec<&[u8]> = got.iter().map(|r| &r.data[..]).collect();
        assert_eq!(data, vec![b"r2" as &[u8], b"r3", b"plain"]);
        assert_eq!(got[0].sub_sequence_number, Some(2));
        assert_eq!(got[2].sub_sequence_number, None);
        assert_eq!(to_user_records("s", &records, true).len(), 5);
        assert_eq!(to_user_records("s", &records, false).len(), 2, "kept whole");
    }

    #[test]
    fn checkpoints_become_start_positions() {
        let lease = |c: &str, sub| Lease {
            key: "s".into(),
            owner: None,
            counter: 0,
            checkpoint: Some(c.into()),
            checkpoint_sub: sub,
            parents: vec![],
        };
        assert_eq!(start_of(&lease("TRIM_HORIZON", None)).0, ShardIteratorType::TrimHorizon);
        assert_eq!(start_of(&lease("LATEST", None)).0, ShardIteratorType::Latest);
        assert_eq!(start_of(&lease("AT_TIMESTAMP:1000", None)).2, Some(DateTime::from_millis(1000)));
        assert_eq!(start_of(&lease("123", None)).0, ShardIteratorType::AfterSequenceNumber);
        let (kind, seq, _, sub) = start_of(&lease("123", Some(3)));
        assert_eq!((kind, seq.as_deref(), sub), (ShardIteratorType::AtSequenceNumber, Some("123"), Some(3)));
    }
}
