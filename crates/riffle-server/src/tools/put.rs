//! `riffle put STREAM`: records from arguments, a file or stdin, one per line or
//! length-delimited (a 4-byte big-endian length before each record), sent through the
//! `riffle-client` producer (collection, aggregation, retries, per-shard pacing).

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use riffle_client::producer::{MetricsSnapshot, Producer, ProducerConfig, PutHandle};
use serde_json::json;
use tokio::sync::mpsc;

use super::Conn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Input {
    /// One record per line (the newline is not part of it).
    Lines,
    /// Each record preceded by its length as a 4-byte big-endian integer.
    LengthDelimited,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PutArgs {
    pub stream: String,
    /// Records to put; without any, they are read from --file or stdin.
    pub records: Vec<String>,
    /// Read records from this file ("-" for stdin).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// How records are separated in the input.
    #[arg(long, value_enum, default_value = "lines")]
    pub input: Input,
    /// Partition keys: `random`, `fixed:VALUE`, `field:NAME` (a JSON record's field) or `hash`
    /// (the record's MD5).
    #[arg(long, default_value = "random")]
    pub key: String,
    #[command(flatten)]
    pub producer: ProducerArgs,
}

/// How `put` and `gen` batch and pace (the producer's settings).
#[derive(Debug, Clone, clap::Args)]
pub struct ProducerArgs {
    /// Send each record on its own instead of KPL-aggregated.
    #[arg(long)]
    pub no_aggregate: bool,
    /// Longest a record waits to be batched, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub max_buffered_ms: u64,
    /// Per-shard pacing as a percentage of a shard's write limit (1,000 records/s, 1 MiB/s);
    /// raise it for a server running with `--limits off`.
    #[arg(long, default_value_t = 150)]
    pub rate_limit_percent: u32,
}

/// How partition keys are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyStrategy {
    Random,
    Fixed(String),
    Field(String),
    Hash,
}

impl KeyStrategy {
    pub fn parse(s: &str) -> anyhow::Result<KeyStrategy> {
        Ok(match s.split_once(':') {
            _ if s == "random" => KeyStrategy::Random,
            _ if s == "hash" => KeyStrategy::Hash,
            Some(("fixed", v)) if !v.is_empty() => KeyStrategy::Fixed(v.to_string()),
            Some(("field", f)) if !f.is_empty() => KeyStrategy::Field(f.to_string()),
            _ => bail!("--key {s}: use random, hash, fixed:VALUE or field:NAME"),
        })
    }

    /// The key of `record`.
    pub fn key(&self, record: &[u8]) -> anyhow::Result<String> {
        Ok(match self {
            KeyStrategy::Random => format!("{:016x}", rand::random::<u64>()),
            KeyStrategy::Fixed(v) => v.clone(),
            KeyStrategy::Hash => {
                format!("{:032x}", riffle_types::hash::partition_hash(&String::from_utf8_lossy(record)))
            }
            KeyStrategy::Field(f) => {
                let v: serde_json::Value =
                    serde_json::from_slice(record).context("--key field: a record is not JSON")?;
                match v.get(f) {
                    Some(serde_json::Value::String(s)) if !s.is_empty() => s.chars().take(256).collect(),
                    Some(x) if !x.is_null() => x.to_string(),
                    _ => bail!("--key field:{f}: a record has no field {f}"),
                }
            }
        })
    }
}

/// What a run's puts came to: acknowledged, failed, acknowledged per shard, the first error.
pub type Outcome = (u64, u64, BTreeMap<String, u64>, Option<String>);

/// Counts the outcomes of puts, in order, while the producer works.
pub struct Tally {
    tx: mpsc::Sender<PutHandle>,
    done: tokio::task::JoinHandle<Outcome>,
}

impl Tally {
    pub fn new(progress: indicatif::ProgressBar) -> Tally {
        let (tx, mut rx) = mpsc::channel::<PutHandle>(100_000);
        let done = tokio::spawn(async move {
            let (mut ok, mut failed, mut shards, mut first_error) = (0u64, 0u64, BTreeMap::new(), None);
            while let Some(h) = rx.recv().await {
                match h.await {
                    Ok(o) => {
                        ok += 1;
                        *shards.entry(o.shard_id).or_insert(0) += 1;
                    }
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
                progress.inc(1);
            }
            progress.finish_and_clear();
            (ok, failed, shards, first_error)
        });
        Tally { tx, done }
    }

    pub async fn add(&self, h: PutHandle) {
        let _ = self.tx.send(h).await;
    }

    pub async fn finish(self) -> Outcome {
        drop(self.tx);
        self.done.await.unwrap_or_default()
    }
}

/// A progress bar on a terminal (nothing otherwise), counting acknowledged records.
pub fn progress(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style =
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} [{wide_bar}] {pos}/{len} records ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

pub async fn producer(conn: &Conn, stream: &str, args: &ProducerArgs) -> anyhow::Result<Producer> {
    let config = ProducerConfig {
        aggregation: !args.no_aggregate,
        record_max_buffered_time: Duration::from_millis(args.max_buffered_ms),
        rate_limit_percent: args.rate_limit_percent,
        ..Default::default()
    };
    Ok(Producer::new(conn.client(), stream, config).await?)
}

/// Prints the summary line of a put or gen run.
pub fn summary(
    conn: &Conn,
    what: &str,
    ok: u64,
    failed: u64,
    secs: f64,
    metrics: &MetricsSnapshot,
    error: Option<String>,
) {
    let rate = ok as f64 / secs.max(1e-9);
    if conn.json {
        println!(
            "{}",
            json!({"records": ok, "failed": failed, "seconds": secs, "records_per_sec": rate, "metrics": metrics, "error": error})
        );
    } else {
        println!(
            "{what} {ok} records in {secs:.2} s ({rate:.0} records/s) as {} Kinesis records in {} PutRecords calls; {failed} failed, {} retried",
            metrics.kinesis_records_put, metrics.requests, metrics.retries
        );
        if let Some(e) = error {
            println!("first error: {e}");
        }
    }
}

pub async fn run(conn: &Conn, args: PutArgs) -> anyhow::Result<()> {
    let strategy = KeyStrategy::parse(&args.key)?;
    let producer = producer(conn, &args.stream, &args.producer).await?;
    let total = (!args.records.is_empty()).then_some(args.records.len() as u64);
    let tally = Tally::new(progress(total));
    let started = Instant::now();
    let put = |data: Bytes| -> anyhow::Result<PutHandle> { Ok(producer.put(strategy.key(&data)?, data)) };
    if !args.records.is_empty() {
        for r in &args.records {
            tally.add(put(Bytes::copy_from_slice(r.as_bytes()))?).await;
        }
    } else {
        let reader: Box<dyn Read + Send> = match &args.file {
            Some(p) if p.as_os_str() != "-" => {
                Box::new(std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?)
            }
            _ => Box::new(std::io::stdin()),
        };
        let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
        match args.input {
            Input::Lines => {
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line)? > 0 {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    tally.add(put(Bytes::from(std::mem::take(&mut line)))?).await;
                }
            }
            Input::LengthDelimited => loop {
                let mut len = [0u8; 4];
                match reader.read_exact(&mut len) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(e.into()),
                }
                let mut data = vec![0u8; u32::from_be_bytes(len) as usize];
                reader.read_exact(&mut data).context("a length-delimited record is cut short")?;
                tally.add(put(Bytes::from(data))?).await;
            },
        }
    }
    producer.flush().await;
    let (ok, failed, _, error) = tally.finish().await;
    let metrics = producer.metrics();
    producer.shutdown().await;
    summary(conn, "put", ok, failed, started.elapsed().as_secs_f64(), &metrics, error);
    if failed > 0 {
        bail!("{failed} records failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_strategies() {
        assert_eq!(KeyStrategy::parse("fixed:a").unwrap().key(b"x").unwrap(), "a");
        assert_eq!(KeyStrategy::parse("field:user").unwrap().key(br#"{"user":"ann"}"#).unwrap(), "ann");
        assert_eq!(KeyStrategy::parse("field:n").unwrap().key(br#"{"n":7}"#).unwrap(), "7");
        assert!(KeyStrategy::parse("field:n").unwrap().key(b"not json").is_err());
        let h = KeyStrategy::parse("hash").unwrap();
        assert_eq!(h.key(b"a").unwrap(), "0cc175b9c0f1b6a831c399e269772661");
        assert_ne!(KeyStrategy::Random.key(b"").unwrap(), KeyStrategy::Random.key(b"").unwrap());
        assert!(KeyStrategy::parse("fixed:").is_err());
        assert!(KeyStrategy::parse("nope").is_err());
    }
}
