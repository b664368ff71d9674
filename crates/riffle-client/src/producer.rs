//! A KPL-style producer: user records are collected per shard, aggregated into KPL records,
//! packed into PutRecords calls (at most 500 records and 5 MiB), sent within a deadline, and
//! retried when they fail.
//!
//! - **Deadlines.** Each record may wait in the buffer up to
//!   [`ProducerConfig::record_max_buffered_time`]; a shard is sent when its oldest record's
//!   deadline comes, or earlier once it has a full PutRecords' worth.
//! - **Retries.** A record that fails (throttled, an internal failure, a network error) goes
//!   back into the buffer with the KPL's rule: its new deadline is the smaller of half
//!   `record_max_buffered_time` and the time left of its [`ProducerConfig::record_ttl`]. A record
//!   still failing when its TTL runs out fails with [`Error::Expired`].
//! - **Rate limiting.** Each shard has a token bucket at [`ProducerConfig::rate_limit_percent`]
//!   of the shard's write limit (1,000 records/s and 1 MiB/s), so the producer does not spam
//!   throttling errors. An aggregated record counts as one record.
//! - **Resharding.** When a record lands on another shard than predicted, the shard map is
//!   reloaded.
//! - **Shutdown.** [`Producer::flush`] sends everything buffered and waits for it;
//!   [`Producer::shutdown`] flushes and stops.
//!
//! ```no_run
//! # async fn run(client: aws_sdk_kinesis::Client) -> Result<(), riffle_client::Error> {
//! use riffle_client::producer::{Producer, ProducerConfig};
//!
//! let producer = Producer::new(client, "orders", ProducerConfig::default()).await?;
//! let handles: Vec<_> = (0..1000).map(|i| producer.put(format!("customer-{}", i % 50), format!("order {i}"))).collect();
//! for h in handles {
//!     let outcome = h.await?;
//!     println!("{} {} {:?}", outcome.shard_id, outcome.sequence_number, outcome.sub_sequence_number);
//! }
//! producer.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::Error;
use crate::agg::{Aggregator, KinesisRecord, UserRecord};
use crate::shards::ShardMap;

/// PutRecords limits.
const MAX_REQUEST_RECORDS: usize = 500;
const MAX_REQUEST_BYTES: usize = 5 << 20;
/// A shard's write limit.
const SHARD_RECORDS_PER_SEC: f64 = 1000.0;
const SHARD_BYTES_PER_SEC: f64 = 1_048_576.0;

/// How the producer batches, retries and paces. The defaults are the KPL's.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Longest a record waits in the buffer before it is sent.
    pub record_max_buffered_time: Duration,
    /// Longest a record may keep being retried before it fails.
    pub record_ttl: Duration,
    /// Pack user records into KPL aggregated records.
    pub aggregation: bool,
    /// Largest aggregated record, in bytes.
    pub aggregation_max_size: usize,
    /// Most records in one PutRecords call (at most 500).
    pub collection_max_count: usize,
    /// Most bytes in one PutRecords call (at most 5 MiB).
    pub collection_max_size: usize,
    /// Per-shard pacing, as a percentage of the shard's write limit.
    pub rate_limit_percent: u32,
    /// Most PutRecords calls in flight at once.
    pub max_in_flight: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            record_max_buffered_time: Duration::from_millis(100),
            record_ttl: Duration::from_secs(30),
            aggregation: true,
            aggregation_max_size: 51_200,
            collection_max_count: MAX_REQUEST_RECORDS,
            collection_max_size: MAX_REQUEST_BYTES,
            rate_limit_percent: 150,
            max_in_flight: 24,
        }
    }
}

/// Where a user record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    pub shard_id: String,
    pub sequence_number: String,
    /// The record's index inside its aggregated record; `None` when sent on its own.
    pub sub_sequence_number: Option<u64>,
    /// PutRecords calls it took.
    pub attempts: u32,
}

/// Counters of a producer's work.
#[derive(Debug, Default)]
struct Metrics {
    user_records_put: AtomicU64,
    user_records_failed: AtomicU64,
    kinesis_records_put: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    buffered: AtomicI64,
    bytes_put: AtomicU64,
}

/// A snapshot of the producer's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MetricsSnapshot {
    /// User records acknowledged by the stream.
    pub user_records_put: u64,
    /// User records that failed for good.
    pub user_records_failed: u64,
    /// Kinesis records (aggregated or not) acknowledged.
    pub kinesis_records_put: u64,
    /// PutRecords calls made.
    pub requests: u64,
    /// User records sent again after a failure.
    pub retries: u64,
    /// Kinesis records refused with ProvisionedThroughputExceededException.
    pub throttled: u64,
    /// User records waiting to be sent or acknowledged.
    pub buffered: i64,
    /// User data bytes acknowledged.
    pub bytes_put: u64,
}

type Reply = oneshot::Sender<Result<PutOutcome, Error>>;

struct Pending {
    record: UserRecord,
    reply: Reply,
    deadline: Instant,
    expires: Instant,
    attempts: u32,
}

enum Command {
    Put(Pending),
    Flush(oneshot::Sender<()>),
}

/// The outcome of one [`Producer::put`]; await it.
pub struct PutHandle(oneshot::Receiver<Result<PutOutcome, Error>>);

impl PutHandle {
    /// The outcome if it is known already, without waiting.
    pub fn try_outcome(&mut self) -> Option<Result<PutOutcome, Error>> {
        match self.0.try_recv() {
            Ok(r) => Some(r),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(Error::Closed)),
        }
    }
}

impl Future for PutHandle {
    type Output = Result<PutOutcome, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.unwrap_or(Err(Error::Closed)))
    }
}

/// The producer. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Producer {
    tx: mpsc::UnboundedSender<Command>,
    metrics: Arc<Metrics>,
    config: ProducerConfig,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Producer {
    /// Starts a producer for `stream`, loading its shard map.
    pub async fn new(client: Client, stream: impl Into<String>, config: ProducerConfig) -> Result<Producer, Error> {
        let stream = stream.into();
        let map = ShardMap::load(&client, &stream).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let metrics = Arc::new(Metrics::default());
        let worker = Worker {
            client,
            stream,
            config: config.clone(),
            map,
            shards: HashMap::new(),
            inflight: JoinSet::new(),
            metrics: metrics.clone(),
            refresh_map: false,
        };
        let task = tokio::spawn(worker.run(rx));
        Ok(Producer { tx, metrics, config, task: std::sync::Mutex::new(Some(task)) })
    }

    /// Queues a record; the handle resolves once it is acknowledged or has failed for good.
    pub fn put(&self, partition_key: impl Into<String>, data: impl Into<Bytes>) -> PutHandle {
        self.put_record(UserRecord::new(partition_key, data))
    }

    /// Queues a record that may carry an explicit hash key.
    pub fn put_record(&self, record: UserRecord) -> PutHandle {
        let (reply, rx) = oneshot::channel();
        let now = Instant::now();
        let pending = Pending {
            record,
            reply,
            deadline: now + self.config.record_max_buffered_time,
            expires: now + self.config.record_ttl,
            attempts: 0,
        };
        self.metrics.buffered.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::error::SendError(Command::Put(p))) = self.tx.send(Command::Put(pending)) {
            self.metrics.buffered.fetch_sub(1, Ordering::Relaxed);
            let _ = p.reply.send(Err(Error::Closed));
        }
        PutHandle(rx)
    }

    /// Sends everything buffered now and waits until every record put before this call is
    /// acknowledged or has failed.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Flushes, then stops the producer. Later puts fail with [`Error::Closed`].
    pub async fn shutdown(&self) {
        self.flush().await;
        let task = self.task.lock().expect("lock").take();
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
    }

    /// The producer's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        let m = &self.metrics;
        MetricsSnapshot {
            user_records_put: m.user_records_put.load(Ordering::Relaxed),
            user_records_failed: m.user_records_failed.load(Ordering::Relaxed),
            kinesis_records_put: m.kinesis_records_put.load(Ordering::Relaxed),
            requests: m.requests.load(Ordering::Relaxed),
            retries: m.retries.load(Ordering::Relaxed),
            throttled: m.throttled.load(Ordering::Relaxed),
            buffered: m.buffered.load(Ordering::Relaxed),
            bytes_put: m.bytes_put.load(Ordering::Relaxed),
        }
    }
}

/// A token bucket over records and bytes, refilled continuously, holding at most one second.
#[derive(Debug)]
struct Bucket {
    records: f64,
    bytes: f64,
    records_rate: f64,
    bytes_rate: f64,
    at: Instant,
}

impl Bucket {
    fn new(percent: u32, now: Instant) -> Self {
        let f = f64::from(percent.max(1)) / 100.0;
        let (records_rate, bytes_rate) = (SHARD_RECORDS_PER_SEC * f, SHARD_BYTES_PER_SEC * f);
        Bucket { records: records_rate, bytes: bytes_rate, records_rate, bytes_rate, at: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.records = (self.records + dt * self.records_rate).min(self.records_rate);
        self.bytes = (self.bytes + dt * self.bytes_rate).min(self.bytes_rate);
    }

    /// Takes one record of `bytes` if the bucket has it (a record bigger than a full bucket
    /// passes once the bucket is full); otherwise how long until it will.
    fn take(&mut self, bytes: usize, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        let need_bytes = (bytes as f64).min(self.bytes_rate);
        if self.records >= 1.0 && self.bytes >= need_bytes {
            self.records -= 1.0;
            self.bytes -= bytes as f64;
            return Ok(());
        }
        let wait =
            ((1.0 - self.records) / self.records_rate).max((need_bytes - self.bytes) / self.bytes_rate).max(0.001);
        Err(Duration::from_secs_f64(wait))
    }
}

/// One shard's buffer.
struct ShardBuffer {
    /// Records sent again after a failure, first out.
    retries: VecDeque<Pending>,
    /// New records, in arrival order (so their deadlines only grow).
    fresh: VecDeque<Pending>,
    bytes: usize,
    bucket: Bucket,
    /// Paced by the bucket until then.
    blocked_until: Option<Instant>,
}

impl ShardBuffer {
    fn len(&self) -> usize {
        self.retries.len() + self.fresh.len()
    }

    fn deadline(&self) -> Option<Instant> {
        let r = self.retries.iter().map(|p| p.deadline).min();
        let f = self.fresh.front().map(|p| p.deadline);
        match (r, f) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn pop(&mut self) -> Option<Pending> {
        let p = self.retries.pop_front().or_else(|| self.fresh.pop_front())?;
        self.bytes -= p.record.data.len() + p.record.partition_key.len();
        Some(p)
    }

    /// Puts records taken but not sent back at the front, in order.
    fn unpop(&mut self, items: Vec<Pending>) {
        for p in items.into_iter().rev() {
            self.bytes += p.record.data.len() + p.record.partition_key.len();
            self.retries.push_front(p);
        }
    }
}

/// A Kinesis record on its way, with the user records inside it.
struct Outgoing {
    record: KinesisRecord,
    items: Vec<Pending>,
    aggregated: bool,
    predicted_shard: String,
}

type Sent = (Vec<Outgoing>, Result<PutRecordsOutput, Error>);

struct Worker {
    client: Client,
    stream: String,
    config: ProducerConfig,
    map: ShardMap,
    shards: HashMap<String, ShardBuffer>,
    inflight: JoinSet<Sent>,
    metrics: Arc<Metrics>,
    refresh_map: bool,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut flush_waiters: Vec<oneshot::Sender<()>> = Vec::new();
        let mut closing = false;
        loop {
            let flushing = !flush_waiters.is_empty() || closing;
            let wake = self.next_wake(flushing);
            tokio::select! {
                cmd = rx.recv(), if !closing => {
                    // Take everything already queued before sending: a producer that is
                    // behind then sends full batches, not one call per record.
                    let mut next = cmd;
                    let mut taken = 0;
                    loop {
                        match next {
                            Some(Command::Put(p)) => self.buffer(p),
                            Some(Command::Flush(w)) => flush_waiters.push(w),
                            None => closing = true,
                        }
                        taken += 1;
                        if closing || taken >= 50_000 {
                            break;
                        }
                        match rx.try_recv() {
                            Ok(c) => next = Some(c),
                            Err(_) => break,
                        }
                    }
                }
                Some(done) = self.inflight.join_next(), if !self.inflight.is_empty() => {
                    if let Ok(sent) = done {
                        self.settle(sent);
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
            if self.refresh_map && self.inflight.is_empty() {
                self.refresh_map = false;
                if let Ok(map) = ShardMap::load(&self.client, &self.stream).await {
                    self.map = map;
                    self.rebucket();
                }
            }
            let flushing = !flush_waiters.is_empty() || closing;
            self.dispatch(flushing);
            if flushing && self.inflight.is_empty() && self.shards.values().all(|s| s.len() == 0) {
                for w in flush_waiters.drain(..) {
                    let _ = w.send(());
                }
                if closing {
                    return;
                }
            }
        }
    }

    fn shard_of(&self, r: &UserRecord) -> String {
        self.map.shard_for(r.hash_key()).map(|s| s.shard_id.clone()).unwrap_or_default()
    }

    fn buffer(&mut self, p: Pending) {
        let shard = self.shard_of(&p.record);
        let percent = self.config.rate_limit_percent;
        let b = self.shards.entry(shard).or_insert_with(|| ShardBuffer {
            retries: VecDeque::new(),
            fresh: VecDeque::new(),
            bytes: 0,
            bucket: Bucket::new(percent, Instant::now()),
            blocked_until: None,
        });
        b.bytes += p.record.data.len() + p.record.partition_key.len();
        if p.attempts > 0 { b.retries.push_back(p) } else { b.fresh.push_back(p) }
    }

    /// After the shard map changed, puts every buffered record under its new shard.
    fn rebucket(&mut self) {
        let old = std::mem::take(&mut self.shards);
        for (_, mut b) in old {
            while let Some(p) = b.pop() {
                self.buffer(p);
            }
        }
    }

    /// Whether a shard should be sent now.
    fn due(&self, b: &ShardBuffer, now: Instant, flushing: bool) -> bool {
        if b.len() == 0 || b.blocked_until.is_some_and(|t| t > now) {
            return false;
        }
        flushing
            || b.deadline().is_some_and(|d| d <= now)
            || b.len() >= self.config.collection_max_count * if self.config.aggregation { 10 } else { 1 }
            || b.bytes >= self.config.collection_max_size
    }

    fn next_wake(&self, flushing: bool) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        self.shards
            .values()
            .filter(|b| b.len() > 0)
            .filter_map(|b| match b.blocked_until {
                Some(t) => Some(t),
                None if flushing => Some(Instant::now()),
                None => b.deadline(),
            })
            .min()
            .unwrap_or(far)
    }

    /// The next Kinesis record of shard `id`, if its bucket lets one go and it fits in `room`.
    fn next_record(&mut self, id: &str, now: Instant, room: usize) -> Option<Outgoing> {
        let aggregation = self.config.aggregation;
        let max = self.config.aggregation_max_size.min(room);
        let b = self.shards.get_mut(id)?;
        let mut items = Vec::new();
        let mut agg = Aggregator::new(max);
        if aggregation {
            while let Some(p) = b.pop() {
                if !agg.fits(&p.record) {
                    b.unpop(vec![p]);
                    break;
                }
                agg.add(p.record.clone());
                items.push(p);
            }
        } else if let Some(p) = b.pop() {
            agg.add(p.record.clone());
            items.push(p);
        }
        let record = agg.finish()?;
        let size = record.data.len() + record.partition_key.len();
        if size > room {
            b.unpop(items);
            return None;
        }
        if let Err(wait) = b.bucket.take(size, now) {
            b.blocked_until = Some(now + wait);
            b.unpop(items);
            return None;
        }
        b.blocked_until = None;
        let aggregated = items.len() > 1;
        Some(Outgoing { record, items, aggregated, predicted_shard: id.to_string() })
    }

    /// Sends due shards, as PutRecords calls of up to the collection limits.
    fn dispatch(&mut self, flushing: bool) {
        while self.inflight.len() < self.config.max_in_flight.max(1) {
            let now = Instant::now();
            let due: Vec<String> =
                self.shards.iter().filter(|(_, b)| self.due(b, now, flushing)).map(|(k, _)| k.clone()).collect();
            if due.is_empty() {
                return;
            }
            let max_count = self.config.collection_max_count.clamp(1, MAX_REQUEST_RECORDS);
            let max_bytes = self.config.collection_max_size.clamp(1, MAX_REQUEST_BYTES);
            let mut batch: Vec<Outgoing> = Vec::new();
            let mut bytes = 0;
            // Round-robin over due shards so one busy shard does not starve the others.
            let mut progress = true;
            while progress && batch.len() < max_count {
                progress = false;
                for id in &due {
                    if batch.len() >= max_count {
                        break;
                    }
                    if let Some(o) = self.next_record(id, now, max_bytes - bytes) {
                        bytes += o.record.data.len() + o.record.partition_key.len();
                        batch.push(o);
                        progress = true;
                    }
                }
            }
            if batch.is_empty() {
                return;
            }
            self.send(batch);
        }
    }

    fn send(&mut self, batch: Vec<Outgoing>) {
        self.metrics.requests.fetch_add(1, Ordering::Relaxed);
        let entries: Vec<PutRecordsRequestEntry> = batch
            .iter()
            .map(|o| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(o.record.data.to_vec()))
                    .partition_key(&o.record.partition_key)
                    .set_explicit_hash_key(o.record.explicit_hash_key.clone())
                    .build()
                    .expect("data and partition key are set")
            })
            .collect();
        let call = self.client.put_records().stream_name(&self.stream).set_records(Some(entries));
        self.inflight.spawn(async move { (batch, call.send().await.map_err(Error::from_sdk)) });
    }

    /// Resolves or retries the records of a finished call.
    fn settle(&mut self, (batch, result): Sent) {
        match result {
            Ok(out) => {
                for (o, entry) in batch.into_iter().zip(out.records()) {
                    match (entry.sequence_number(), entry.shard_id()) {
                        (Some(seq), Some(shard)) => {
                            if shard != o.predicted_shard {
                                self.refresh_map = true;
                            }
                            self.metrics.kinesis_records_put.fetch_add(1, Ordering::Relaxed);
                            for (i, p) in o.items.into_iter().enumerate() {
                                self.metrics.user_records_put.fetch_add(1, Ordering::Relaxed);
                                self.metrics.bytes_put.fetch_add(p.record.data.len() as u64, Ordering::Relaxed);
                                self.metrics.buffered.fetch_sub(1, Ordering::Relaxed);
                                let _ = p.reply.send(Ok(PutOutcome {
                                    shard_id: shard.to_string(),
                                    sequence_number: seq.to_string(),
                                    sub_sequence_number: o.aggregated.then_some(i as u64),
                                    attempts: p.attempts + 1,
                                }));
                            }
                        }
                        _ => {
                            let code = entry.error_code().unwrap_or("InternalFailure").to_string();
                            if code == "ProvisionedThroughputExceededException" {
                                self.metrics.throttled.fetch_add(1, Ordering::Relaxed);
                            }
                            let e =
                                Error::Service { code, message: entry.error_message().unwrap_or_default().to_string() };
                            self.retry(o.items, e);
                        }
                    }
                }
            }
            Err(e) if e.is_retryable() => {
                for o in batch {
                    self.retry(o.items, e.clone());
                }
            }
            Err(e) => {
                for o in batch {
                    for p in o.items {
                        self.fail(p, e.clone());
                    }
                }
            }
        }
    }

    fn fail(&self, p: Pending, e: Error) {
        self.metrics.user_records_failed.fetch_add(1, Ordering::Relaxed);
        self.metrics.buffered.fetch_sub(1, Ordering::Relaxed);
        let _ = p.reply.send(Err(e));
    }

    /// The KPL's retry rule: back into the buffer with a deadline of the smaller of half the
    /// buffering time and the time left to live; failed for good once that time is up.
    fn retry(&mut self, items: Vec<Pending>, e: Error) {
        let now = Instant::now();
        for mut p in items {
            p.attempts += 1;
            if now >= p.expires {
                let attempts = p.attempts;
                self.fail(p, Error::Expired { attempts, last: Box::new(e.clone()) });
                continue;
            }
            self.metrics.retries.fetch_add(1, Ordering::Relaxed);
            p.deadline = now + (self.config.record_max_buffered_time / 2).min(p.expires - now);
            self.buffer(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_paces_records_and_bytes() {
        let t0 = Instant::now();
        let mut b = Bucket::new(100, t0);
        for _ in 0..1000 {
            assert!(b.take(10, t0).is_ok());
        }
        let wait = b.take(10, t0).unwrap_err();
        assert!(wait <= Duration::from_millis(2), "one record refills in 1 ms: {wait:?}");
        assert!(b.take(10, t0 + Duration::from_millis(1)).is_ok());
        // Bytes: a full bucket holds 1 MiB; a 600 KiB record then waits for the rest.
        let mut b = Bucket::new(100, t0);
        assert!(b.take(600 << 10, t0).is_ok());
        let wait = b.take(600 << 10, t0).unwrap_err();
        assert!(wait > Duration::from_millis(100) && wait < Duration::from_millis(200), "{wait:?}");
        // A record bigger than the bucket passes once the bucket is full.
        let mut b = Bucket::new(50, t0);
        assert!(b.take(1 << 20, t0).is_ok());
    }
}
