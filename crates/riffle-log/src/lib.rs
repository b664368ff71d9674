//! The durable shard log.
//!
//! All shards of all streams share one write-ahead log made of numbered segment files. A single
//! writer thread performs **group commit**: it drains every append request that is waiting,
//! assigns per-shard sequence counters and arrival times, writes all of them with one append and
//! covers them with one `fsync`, and only then publishes them to readers and acknowledges.
//!
//! Invariants:
//! - per shard, counters are dense and strictly increasing, and arrival times never go backwards;
//! - readers never see a batch before it is durable (in `SyncMode::Always`);
//! - each segment begins with a checkpoint of every live shard's next counter, so deleting old
//!   segments (retention) never lets a counter go back after a restart;
//! - segments are deleted oldest first, and only when every batch in them has expired.
//!
//! See docs/storage-format.md for the bytes and the recovery rules.

#[cfg(any(test, feature = "testing"))]
pub mod faulty;
pub mod format;
pub mod storage;
mod tip_cache;
mod writer;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use riffle_types::Clock;
use tokio::sync::oneshot;

pub use format::{ShardKey, StoredRecord};
pub use storage::{FsStorage, LogFile, Storage};

use format::{Entry, Invalid};

/// When the writer makes appends durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// fsync before acknowledging (group commit). The default.
    Always,
    /// Acknowledge after the write; fsync in the background at this interval.
    Interval(Duration),
    /// Never fsync; the OS decides. Fast, and loses data on power loss.
    Never,
}

/// Tunables of the log.
#[derive(Clone)]
pub struct LogOptions {
    pub sync: SyncMode,
    /// A segment is sealed once it holds this many bytes.
    pub segment_bytes: u64,
    /// ... or once it is this old, so that retention can free space on quiet logs.
    pub segment_max_age_ms: i64,
    /// Bytes of the most recent durable writes kept in memory for reads at the tip.
    pub tip_cache_bytes: usize,
    pub clock: Arc<dyn Clock>,
}

impl LogOptions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LogOptions {
            sync: SyncMode::Always,
            segment_bytes: 128 << 20,
            segment_max_age_ms: 3_600_000,
            tip_cache_bytes: 64 << 20,
            clock,
        }
    }
}

/// Errors of the log layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    #[error("storage I/O failed: {0}")]
    Io(#[from] io::Error),
    #[error("the log failed an earlier write and refuses further appends until restarted")]
    Poisoned,
    #[error("the log is shut down")]
    Closed,
    #[error("corrupt entry in segment {segment} at offset {offset}")]
    Corrupt { segment: u64, offset: u64 },
    /// An append named a shard that was sealed (closed by resharding); nothing was written.
    #[error("shard {0:?} is sealed")]
    ShardSealed(ShardKey),
}

/// Records for one shard in one append call.
#[derive(Debug, Clone)]
pub struct ShardAppend {
    pub key: ShardKey,
    pub records: Vec<RecordIn>,
    /// An opaque label stored with the batch and returned with its records (the streams
    /// layer names the encryption key here).
    pub label: Option<Bytes>,
}

/// One record to append.
#[derive(Debug, Clone)]
pub struct RecordIn {
    pub partition_key: Bytes,
    pub data: Bytes,
}

/// Where a [`ShardAppend`] landed: its records have counters `first_counter..first_counter+n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first_counter: u64,
    pub arrival_ms: i64,
}

/// Position and time of one durable batch.
#[derive(Debug, Clone, Copy)]
struct BatchMeta {
    first_counter: u64,
    count: u32,
    arrival_ms: i64,
    segment: u64,
    offset: u64,
    len: u32,
}

/// What readers know about a shard.
#[derive(Debug, Default)]
struct ShardIndex {
    next_counter: u64,
    last_arrival_ms: i64,
    batches: VecDeque<BatchMeta>,
}

/// A shard's tip: the counter the next record will get and the newest arrival time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardTip {
    pub next_counter: u64,
    pub last_arrival_ms: i64,
}

struct Segment {
    file: Arc<dyn LogFile>,
    created_ms: i64,
    /// Newest arrival per stream in this segment: what retention checks.
    newest_by_stream: HashMap<u64, i64>,
}

struct Shared {
    storage: Arc<dyn Storage>,
    /// Per-shard tip watchers: each durable batch sends the shard's next counter.
    watchers: Mutex<HashMap<ShardKey, tokio::sync::watch::Sender<u64>>>,
    index: RwLock<HashMap<ShardKey, ShardIndex>>,
    segments: RwLock<BTreeMap<u64, Segment>>,
    poisoned: AtomicBool,
    tip_cache: tip_cache::TipCache,
    options: LogOptions,
}

enum Command {
    Append { shards: Vec<ShardAppend>, reply: oneshot::Sender<Result<Vec<Appended>, LogError>> },
    Forget { stream: u64 },
    Seal { key: ShardKey, reply: oneshot::Sender<Result<Option<ShardTip>, LogError>> },
}

/// The shared write-ahead log. Cheap to share behind an `Arc`; closing joins the writer.
pub struct Log {
    shared: Arc<Shared>,
    tx: Mutex<Option<mpsc::Sender<Command>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

pub(crate) fn segment_name(id: u64) -> String {
    format!("{id:020}.log")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let id = name.strip_suffix(".log")?;
    (id.len() == 20).then(|| id.parse().ok()).flatten()
}

impl Log {
    /// Opens (recovering) or creates the log in `storage`.
    pub fn open(storage: Arc<dyn Storage>, options: LogOptions) -> Result<Log, LogError> {
        let mut ids: Vec<u64> = storage.list()?.iter().filter_map(|n| parse_segment_name(n)).collect();
        ids.sort_unstable();
        let mut index: HashMap<ShardKey, ShardIndex> = HashMap::new();
        let mut segments = BTreeMap::new();
        let last = ids.last().copied();
        for id in ids {
            let file = storage.open(&segment_name(id))?;
            let seg = recover_segment(id, file, Some(id) == last, &mut index, &options)?;
            segments.insert(id, seg);
        }
        let shared = Arc::new(Shared {
            storage,
            watchers: Mutex::new(HashMap::new()),
            index: RwLock::new(index),
            segments: RwLock::new(segments),
            poisoned: AtomicBool::new(false),
            tip_cache: tip_cache::TipCache::new(options.tip_cache_bytes),
            options,
        });
        let (tx, rx) = mpsc::channel();
        let w = writer::Writer::start(shared.clone())?;
        let handle = std::thread::Builder::new().name("riffle-log-writer".into()).spawn(move || w.run(rx))?;
        Ok(Log { shared, tx: Mutex::new(Some(tx)), writer: Mutex::new(Some(handle)) })
    }

    /// Appends batches for any number of shards atomically with respect to ordering; resolves
    /// once they are durable (per the sync mode) and visible to readers.
    pub async fn append(&self, shards: Vec<ShardAppend>) -> Result<Vec<Appended>, LogError> {
        if self.shared.poisoned.load(Ordering::Acquire) {
            return Err(LogError::Poisoned);
        }
        let (reply, rx) = oneshot::channel();
        self.send(Command::Append { shards, reply })?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    fn send(&self, cmd: Command) -> Result<(), LogError> {
        let tx = self.tx.lock().expect("lock");
        tx.as_ref().ok_or(LogError::Closed)?.send(cmd).map_err(|_| LogError::Closed)
    }

    /// Seals a shard: appends queued before this call are made durable and kept, every later
    /// append naming the shard fails with [`LogError::ShardSealed`] (and writes nothing). Returns
    /// the shard's final tip, `None` if it never had a record. Resharding closes parents so.
    pub async fn seal(&self, key: ShardKey) -> Result<Option<ShardTip>, LogError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Seal { key, reply })?;
        rx.await.map_err(|_| LogError::Closed)?
    }

    /// [`Log::seal`] for callers outside an async context (it waits for the writer thread).
    pub fn seal_blocking(&self, key: ShardKey) -> Result<Option<ShardTip>, LogError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Seal { key, reply })?;
        rx.blocking_recv().map_err(|_| LogError::Closed)?
    }

    /// Drops a deleted stream's shards from the index; its segments then expire as a whole.
    pub fn forget_stream(&self, stream: u64) {
        self.shared.index.write().expect("lock").retain(|k, _| k.stream != stream);
        let _ = self.send(Command::Forget { stream });
    }

    /// A receiver that changes whenever new records of `key` become durable and readable:
    /// the push behind SubscribeToShard (no polling).
    pub fn watch_tip(&self, key: ShardKey) -> tokio::sync::watch::Receiver<u64> {
        let mut w = self.shared.watchers.lock().expect("lock");
        w.retain(|_, tx| tx.receiver_count() > 0);
        w.entry(key).or_insert_with(|| tokio::sync::watch::channel(0).0).subscribe()
    }

    /// The shard's tip, or `None` if nothing was ever written to it.
    pub fn tip(&self, key: ShardKey) -> Option<ShardTip> {
        let index = self.shared.index.read().expect("lock");
        index.get(&key).map(|s| ShardTip { next_counter: s.next_counter, last_arrival_ms: s.last_arrival_ms })
    }

    /// The counter of the first record that arrived at or after `ts_ms`, or the tip's next
    /// counter (`default_next`) if none did.
    pub fn counter_at_time(&self, key: ShardKey, ts_ms: i64, default_next: u64) -> u64 {
        let index = self.shared.index.read().expect("lock");
        let Some(s) = index.get(&key) else {
            return default_next;
        };
        let i = s.batches.partition_point(|b| b.arrival_ms < ts_ms);
        s.batches.get(i).map_or(s.next_counter, |b| b.first_counter)
    }

    /// Reads records with counter >= `from` that arrived at or after `min_arrival_ms`, up to
    /// `max_records` records and roughly `max_bytes` of data (at least one record is returned
    /// if any qualifies).
    pub fn read(
        &self,
        key: ShardKey,
        from: u64,
        min_arrival_ms: i64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        let wanted: Vec<BatchMeta> = {
            let index = self.shared.index.read().expect("lock");
            let Some(s) = index.get(&key) else {
                return Ok(Vec::new());
            };
            let start = s.batches.partition_point(|b| b.first_counter + u64::from(b.count) <= from);
            let mut out = Vec::new();
            let mut n = 0usize;
            let mut bytes = 0usize;
            for b in s.batches.range(start..) {
                if b.arrival_ms < min_arrival_ms {
                    continue;
                }
                out.push(*b);
                n += b.count as usize;
                bytes += b.len as usize;
                if n >= max_records || bytes >= max_bytes {
                    break;
                }
            }
            out
        };
        let mut records = Vec::new();
        let mut bytes = 0usize;
        for b in wanted {
            let file = {
                let segs = self.shared.segments.read().expect("lock");
                match segs.get(&b.segment) {
                    Some(s) => s.file.clone(),
                    None => continue, // deleted by retention meanwhile
                }
            };
            let batch = match self.shared.tip_cache.get(b.segment, b.offset, b.len as usize) {
                Some(cached) => cached,
                None => {
                    let mut buf = vec![0u8; b.len as usize];
                    file.read_exact_at(&mut buf, b.offset)?;
                    Bytes::from(buf)
                }
            };
            let (_, recs) =
                format::batch_records(batch).map_err(|_| LogError::Corrupt { segment: b.segment, offset: b.offset })?;
            for r in recs {
                if r.counter < from {
                    continue;
                }
                let size = r.data.len() + r.partition_key.len();
                if records.len() >= max_records || (!records.is_empty() && bytes + size > max_bytes) {
                    return Ok(records);
                }
                bytes += size;
                records.push(r);
            }
        }
        Ok(records)
    }

    /// Deletes whole sealed segments, oldest first, while every stream in them has expired:
    /// `retention_ms(stream)` is the stream's retention, or `None` if the stream is gone.
    /// Returns how many segments were deleted.
    pub fn enforce_retention(&self, retention_ms: &dyn Fn(u64) -> Option<i64>) -> Result<usize, LogError> {
        let now = self.shared.options.clock.now_ms();
        let mut deleted = Vec::new();
        {
            let segs = self.shared.segments.read().expect("lock");
            let active = segs.keys().next_back().copied();
            for (id, seg) in segs.iter() {
                if Some(*id) == active {
                    break;
                }
                let expired = seg
                    .newest_by_stream
                    .iter()
                    .all(|(stream, newest)| retention_ms(*stream).is_none_or(|r| newest + r <= now));
                if !expired {
                    break;
                }
                deleted.push(*id);
            }
        }
        for id in &deleted {
            self.shared.segments.write().expect("lock").remove(id);
            self.shared.tip_cache.forget_segment(*id);
            self.shared.storage.remove(&segment_name(*id))?;
            tracing::info!(segment = id, "retention deleted a segment");
        }
        if let Some(&newest_deleted) = deleted.last() {
            let mut index = self.shared.index.write().expect("lock");
            for s in index.values_mut() {
                while s.batches.front().is_some_and(|b| b.segment <= newest_deleted) {
                    s.batches.pop_front();
                }
            }
        }
        Ok(deleted.len())
    }

    /// Number of segment files, for tests and metrics.
    pub fn segment_count(&self) -> usize {
        self.shared.segments.read().expect("lock").len()
    }

    /// Stops the writer after it finished every queued request.
    pub fn close(&self) {
        self.tx.lock().expect("lock").take();
        if let Some(h) = self.writer.lock().expect("lock").take() {
            let _ = h.join();
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.close();
    }
}

/// Reads one segment into the index. The last segment's torn or corrupt tail is cut off; in an
/// older segment the same damage is reported and cut too, keeping everything before it.
fn recover_segment(
    id: u64,
    file: Arc<dyn LogFile>,
    is_last: bool,
    index: &mut HashMap<ShardKey, ShardIndex>,
    options: &LogOptions,
) -> Result<Segment, LogError> {
    let len = file.len();
    let mut bytes = vec![0u8; len as usize];
    file.read_exact_at(&mut bytes, 0)?;
    let mut seg = Segment { file: file.clone(), created_ms: options.clock.now_ms(), newest_by_stream: HashMap::new() };
    let mut first = true;
    let mut pos = 0usize;
    while pos < bytes.len() {
        match format::parse_entry(&bytes[pos..]) {
            Ok((entry, n)) => {
                match entry {
                    Entry::Checkpoint(marks) => {
                        for m in marks {
                            let s = index.entry(m.key).or_default();
                            s.next_counter = s.next_counter.max(m.next_counter);
                            s.last_arrival_ms = s.last_arrival_ms.max(m.last_arrival_ms);
                        }
                    }
                    Entry::Batch(h) => {
                        if first {
                            seg.created_ms = h.arrival_ms;
                        }
                        let s = index.entry(h.key).or_default();
                        s.batches.push_back(BatchMeta {
                            first_counter: h.first_counter,
                            count: h.count,
                            arrival_ms: h.arrival_ms,
                            segment: id,
                            offset: pos as u64,
                            len: n as u32,
                        });
                        s.next_counter = s.next_counter.max(h.first_counter + u64::from(h.count));
                        s.last_arrival_ms = s.last_arrival_ms.max(h.arrival_ms);
                        let newest = seg.newest_by_stream.entry(h.key.stream).or_insert(h.arrival_ms);
                        *newest = (*newest).max(h.arrival_ms);
                        first = false;
                    }
                }
                pos += n;
            }
            Err(why) => {
                if is_last && why == Invalid::Short {
                    tracing::warn!(segment = id, offset = pos, "cutting a torn write at the log's tail");
                } else {
                    tracing::error!(segment = id, offset = pos, ?why, "cutting a damaged log tail");
                }
                file.truncate(pos as u64)?;
                break;
            }
        }
    }
    Ok(seg)
}

#[cfg(test)]
mod tests;
