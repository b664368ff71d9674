//! Throughput limits as AWS enforces them, with token buckets on an injectable clock.
//!
//! - **Writes**, per shard: 1 MiB/s of data plus partition keys, and 1,000 records/s. A
//!   PutRecords entry over either fails alone with `ProvisionedThroughputExceededException`
//!   (the call succeeds); PutRecord fails as a whole.
//! - **Reads**, per shard: 5 GetRecords calls/s, and 2 MiB/s. The byte bucket may go into debt
//!   by up to one 10 MiB response, so after a 10 MiB read the shard answers PTE for about
//!   four seconds (AWS documents "the next five seconds").
//! - **Control plane**, per account (per stream for ListShards): AWS's documented TPS per
//!   operation, answered with `LimitExceededException`.
//!
//! Every bucket holds one second of its rate and starts full. `--limits off` disables all of
//! it; the per-shard rates are configurable for self-hosted production.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use riffle_log::ShardKey;
use riffle_types::Clock;

/// A token bucket: `rate` tokens per second, at most `capacity` held.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last_ms: i64,
}

impl TokenBucket {
    pub fn new(rate: f64, capacity: f64, now_ms: i64) -> Self {
        TokenBucket { rate, capacity, tokens: capacity, last_ms: now_ms }
    }

    fn refill(&mut self, now_ms: i64) {
        if now_ms > self.last_ms {
            self.tokens = (self.tokens + (now_ms - self.last_ms) as f64 * self.rate / 1000.0).min(self.capacity);
            self.last_ms = now_ms;
        }
    }

    /// The tokens available now (negative while in debt).
    pub fn available(&mut self, now_ms: i64) -> f64 {
        self.refill(now_ms);
        self.tokens
    }

    /// Takes `n` tokens if all are there.
    pub fn try_take(&mut self, n: f64, now_ms: i64) -> bool {
        self.refill(now_ms);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }

    /// Takes `n` tokens even into debt.
    pub fn charge(&mut self, n: f64, now_ms: i64) {
        self.refill(now_ms);
        self.tokens -= n;
    }
}

/// The configurable rates.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub enabled: bool,
    pub shard_write_bytes_per_sec: f64,
    pub shard_write_records_per_sec: f64,
    pub shard_read_calls_per_sec: f64,
    pub shard_read_bytes_per_sec: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            enabled: true,
            shard_write_bytes_per_sec: 1_048_576.0,
            shard_write_records_per_sec: 1000.0,
            shard_read_calls_per_sec: 5.0,
            shard_read_bytes_per_sec: 2_097_152.0,
        }
    }
}

impl LimitsConfig {
    pub fn off() -> Self {
        LimitsConfig { enabled: false, ..Default::default() }
    }
}

/// AWS's control-plane rates: (operation, transactions per second, per stream rather than
/// per account).
pub const CONTROL_PLANE_TPS: &[(&str, f64, bool)] = &[
    ("AddTagsToStream", 5.0, false),
    ("CreateStream", 5.0, false),
    ("DecreaseStreamRetentionPeriod", 5.0, false),
    ("DeleteStream", 5.0, false),
    ("DescribeLimits", 1.0, false),
    ("DescribeStream", 10.0, false),
    ("DescribeStreamSummary", 20.0, false),
    ("IncreaseStreamRetentionPeriod", 5.0, false),
    ("ListShards", 1000.0, true),
    ("ListStreams", 5.0, false),
    ("ListTagsForStream", 5.0, false),
    ("MergeShards", 5.0, false),
    ("RemoveTagsFromStream", 5.0, false),
    ("SplitShard", 5.0, false),
    ("UpdateShardCount", 10.0, false),
    ("TagResource", 5.0, false),
    ("UntagResource", 5.0, false),
    ("ListTagsForResource", 5.0, false),
];

/// The largest GetRecords response, which the read byte bucket may owe.
const MAX_READ_DEBT: f64 = 10_485_760.0;

struct ShardBuckets {
    write_bytes: TokenBucket,
    write_records: TokenBucket,
    read_calls: TokenBucket,
    read_bytes: TokenBucket,
}

impl ShardBuckets {
    fn new(c: &LimitsConfig, now: i64) -> Self {
        let bucket = |rate: f64| TokenBucket::new(rate, rate, now);
        ShardBuckets {
            write_bytes: bucket(c.shard_write_bytes_per_sec),
            write_records: bucket(c.shard_write_records_per_sec),
            read_calls: bucket(c.shard_read_calls_per_sec),
            read_bytes: bucket(c.shard_read_bytes_per_sec),
        }
    }
}

/// When the current measuring window started, and (bytes, records) per shard in it.
type WriteWindow = (i64, HashMap<ShardKey, (u64, u64)>);

/// All buckets of a server.
pub struct Limits {
    config: LimitsConfig,
    clock: Arc<dyn Clock>,
    shards: Mutex<HashMap<ShardKey, ShardBuckets>>,
    /// Bytes and records written per shard since the last [`Limits::take_write_window`],
    /// measured whether or not limits are enforced (ON_DEMAND scaling reads it).
    written: Mutex<WriteWindow>,
    control: Mutex<HashMap<(String, &'static str, String), TokenBucket>>,
}

/// Why a call or record was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled;

impl Limits {
    pub fn new(config: LimitsConfig, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now_ms();
        Limits {
            config,
            clock,
            shards: Mutex::new(HashMap::new()),
            written: Mutex::new((now, HashMap::new())),
            control: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    fn with_shard<R>(&self, key: ShardKey, f: impl FnOnce(&mut ShardBuckets, i64) -> R) -> R {
        let now = self.clock.now_ms();
        let c = &self.config;
        let mut shards = self.shards.lock().expect("limits lock");
        let b = shards.entry(key).or_insert_with(|| ShardBuckets::new(c, now));
        f(b, now)
    }

    /// Admits records to shards in order: `records` is (shard, bytes incl. partition key).
    /// Returns, per record, whether it may be written; refused records take no capacity.
    pub fn admit_writes(&self, records: &[(ShardKey, usize)]) -> Vec<bool> {
        let admitted = self.enforce_writes(records);
        let mut written = self.written.lock().expect("limits lock");
        for ((key, bytes), ok) in records.iter().zip(&admitted) {
            if *ok {
                let w = written.1.entry(*key).or_default();
                w.0 += *bytes as u64;
                w.1 += 1;
            }
        }
        admitted
    }

    /// Per-shard write rates (bytes/s, records/s) since the previous call, and the config.
    pub fn take_write_window(&self) -> (HashMap<ShardKey, (f64, f64)>, &LimitsConfig) {
        let now = self.clock.now_ms();
        let mut written = self.written.lock().expect("limits lock");
        let secs = ((now - written.0).max(1) as f64) / 1000.0;
        let rates = written.1.drain().map(|(k, (b, r))| (k, (b as f64 / secs, r as f64 / secs))).collect();
        written.0 = now;
        (rates, &self.config)
    }

    fn enforce_writes(&self, records: &[(ShardKey, usize)]) -> Vec<bool> {
        if !self.config.enabled {
            return vec![true; records.len()];
        }
        let now = self.clock.now_ms();
        let c = &self.config;
        let mut shards = self.shards.lock().expect("limits lock");
        records
            .iter()
            .map(|(key, bytes)| {
                let b = shards.entry(*key).or_insert_with(|| ShardBuckets::new(c, now));
                let fits = b.write_bytes.available(now) >= *bytes as f64 && b.write_records.available(now) >= 1.0;
                if fits {
                    b.write_bytes.charge(*bytes as f64, now);
                    b.write_records.charge(1.0, now);
                }
                fits
            })
            .collect()
    }

    /// Admits one GetRecords call on a shard.
    pub fn admit_read(&self, key: ShardKey) -> Result<(), Throttled> {
        if !self.config.enabled {
            return Ok(());
        }
        self.with_shard(key, |b, now| {
            if b.read_bytes.available(now) <= 0.0 || !b.read_calls.try_take(1.0, now) {
                return Err(Throttled);
            }
            Ok(())
        })
    }

    /// Charges the bytes a GetRecords call returned.
    pub fn charge_read(&self, key: ShardKey, bytes: usize) {
        if self.config.enabled {
            self.with_shard(key, |b, now| {
                let floor = -MAX_READ_DEBT;
                b.read_bytes.charge(bytes as f64, now);
                if b.read_bytes.tokens < floor {
                    b.read_bytes.tokens = floor;
                }
            });
        }
    }

    /// Admits one control-plane call of `op` by `account` (on `stream`, for per-stream limits).
    pub fn admit_control(&self, account: &str, op: &str, stream: Option<&str>) -> Result<(), Throttled> {
        if !self.config.enabled {
            return Ok(());
        }
        let Some(&(name, tps, per_stream)) = CONTROL_PLANE_TPS.iter().find(|(o, _, _)| *o == op) else {
            return Ok(());
        };
        let scope = if per_stream { stream.unwrap_or_default().to_string() } else { String::new() };
        let now = self.clock.now_ms();
        let mut control = self.control.lock().expect("limits lock");
        let b = control.entry((account.to_string(), name, scope)).or_insert_with(|| TokenBucket::new(tps, tps, now));
        if b.try_take(1.0, now) { Ok(()) } else { Err(Throttled) }
    }

    /// Forgets a deleted stream's shard buckets.
    pub fn forget_stream(&self, stream: u64) {
        self.shards.lock().expect("limits lock").retain(|k, _| k.stream != stream);
        self.written.lock().expect("limits lock").1.retain(|k, _| k.stream != stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use riffle_types::time::ManualClock;

    fn limits() -> (Arc<ManualClock>, Limits) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        (clock.clone(), Limits::new(LimitsConfig::default(), clock))
    }

    const K: ShardKey = ShardKey { stream: 1, shard: 0 };
    const OTHER: ShardKey = ShardKey { stream: 1, shard: 1 };

    #[test]
    fn writes_are_capped_at_1000_records_per_second_per_shard() {
        let (clock, l) = limits();
        let batch: Vec<_> = (0..1500).map(|i| (if i % 3 == 0 { OTHER } else { K }, 10)).collect();
        let ok = l.admit_writes(&batch);
        let on_k = batch.iter().zip(&ok).filter(|((k, _), ok)| *k == K && **ok).count();
        assert_eq!(on_k, 1000, "1000 of the 1000 records for shard 0 fit");
        assert!(
            batch.iter().zip(&ok).filter(|((k, _), _)| *k == OTHER).all(|(_, ok)| *ok),
            "the other shard is unaffected"
        );
        assert!(!l.admit_writes(&[(K, 10)])[0]);
        clock.advance(100);
        assert_eq!(
            l.admit_writes(&vec![(K, 10); 150]).iter().filter(|x| **x).count(),
            100,
            "refills 100 records in 100 ms"
        );
    }

    #[test]
    fn writes_are_capped_at_one_mib_per_second() {
        let (clock, l) = limits();
        assert!(l.admit_writes(&[(K, 1_048_576)])[0]);
        assert!(!l.admit_writes(&[(K, 1)])[0]);
        clock.advance(500);
        assert_eq!(l.admit_writes(&[(K, 600_000), (K, 400_000)]), vec![false, true], "a refused record takes nothing");
    }

    #[test]
    fn reads_allow_five_calls_per_second_and_owe_big_responses() {
        let (clock, l) = limits();
        for _ in 0..5 {
            assert!(l.admit_read(K).is_ok());
        }
        assert_eq!(l.admit_read(K), Err(Throttled));
        clock.advance(1000);
        assert!(l.admit_read(K).is_ok());
        l.charge_read(K, 10 << 20);
        clock.advance(1000);
        assert_eq!(l.admit_read(K), Err(Throttled), "a 10 MiB read throttles the next seconds");
        clock.advance(2900);
        assert_eq!(l.admit_read(K), Err(Throttled), "still paying off the 10 MiB");
        clock.advance(200);
        assert!(l.admit_read(K).is_ok(), "about four seconds after a 10 MiB read the shard reads again");
    }

    #[test]
    fn control_plane_tps_per_account() {
        let (clock, l) = limits();
        for _ in 0..5 {
            assert!(l.admit_control("a", "CreateStream", None).is_ok());
        }
        assert_eq!(l.admit_control("a", "CreateStream", None), Err(Throttled));
        assert!(l.admit_control("b", "CreateStream", None).is_ok(), "another account has its own bucket");
        assert!(l.admit_control("a", "PutRecord", None).is_ok(), "data-plane ops are not control-plane limited");
        clock.advance(200);
        assert!(l.admit_control("a", "CreateStream", None).is_ok());
    }

    #[test]
    fn write_rates_are_measured_even_with_limits_off() {
        let clock = Arc::new(ManualClock::new(0));
        let l = Limits::new(LimitsConfig::off(), clock.clone());
        l.admit_writes(&vec![(K, 100); 50]);
        clock.advance(500);
        let (rates, _) = l.take_write_window();
        assert_eq!(rates[&K], (10_000.0, 100.0));
        clock.advance(1000);
        assert!(l.take_write_window().0.is_empty(), "the window restarts");
    }

    #[test]
    fn off_means_off() {
        let l = Limits::new(LimitsConfig::off(), Arc::new(ManualClock::new(0)));
        assert!(l.admit_writes(&vec![(K, 2 << 20); 5000]).iter().all(|x| *x));
        for _ in 0..100 {
            assert!(l.admit_read(K).is_ok());
            assert!(l.admit_control("a", "CreateStream", None).is_ok());
        }
    }
}
