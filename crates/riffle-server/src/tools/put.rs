//! `riffle put STREAM`: records from arguments, a file or stdin, one per line or
//! length-delimited (a 4-byte big-endian length before each record), sent through the
//! `riffle-client` producer (collection, aggregation, retries, per-shard pacing).

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use riffle_client::producer::{Producer, ProducerConfig, PutHandle};
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
type Outcome = (u64, u64, BTreeMap<String, u64>, Option<String>);

/// One `put` or `gen` run: the producer, the outcomes counted in order as they arrive (with
/// a progress bar), and the summary line at the end.
pub struct Run {
    producer: Producer,
    tx: mpsc::Sender<PutHandle>,
    done: tokio::task::JoinHandle<Outcome>,
    started: Instant,
}

impl Run {
    /// Starts a producer for `stream`; `total` sizes the progress bar when it is known.
    pub async fn start(conn: &Conn, stream: &str, args: &ProducerArgs, total: Option<u64>) -> anyhow::Result<Run> {
        let config = ProducerConfig {
            aggregation: !args.no_aggregate,
            record_max_buffered_time: Duration::from_millis(args.max_buffered_ms),
            rate_limit_percent: args.rate_limit_percent,
            ..Default::default()
        };
        let producer = Producer::new(conn.client(), stream, config).await?;
        let progress = progress(total);
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
        Ok(Run { producer, tx, done, started: Instant::now() })
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    /// Queues one record (waits only when 100,000 outcomes are pending).
    pub async fn put(&self, key: String, data: Bytes) {
        let _ = self.tx.send(self.producer.put(key, data)).await;
    }

    /// Sends everything, waits for every outcome, stops the producer and prints the summary
    /// (`what` names the run). Returns how many records failed, and the records per shard.
    pub async fn finish(self, conn: &Conn, what: &str) -> (u64, BTreeMap<String, u64>) {
        self.producer.flush().await;
        drop(self.tx);
        let (ok, failed, shards, error) = self.done.await.unwrap_or_default();
        let metrics = self.producer.metrics();
        self.producer.shutdown().await;
        let secs = self.started.elapsed().as_secs_f64();
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
        (failed, shards)
    }
}

/// A progress bar on a terminal (nothing otherwise), counting acknowledged records.
fn progress(total: Option<u64>) -> indicatif::ProgressBar {
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

pub async fn run(conn: &Conn, args: PutArgs) -> anyhow::Result<()> {
    let strategy = KeyStrategy::parse(&args.key)?;
    let total = (!args.records.is_empty()).then_some(args.records.len() as u64);
    let run = Run::start(conn, &args.stream, &args.producer, total).await?;
    let put = |data: Bytes| -> anyhow::Result<(String, Bytes)> { Ok((strategy.key(&data)?, data)) };
    if !args.records.is_empty() {
        for r in &args.records {
            {
                let (key, data) = put(Bytes::copy_from_slice(r.as_bytes()))?;
                run.put(key, data).await;
            }
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
                    {
                        let (key, data) = put(Bytes::from(std::mem::take(&mut line)))?;
                        run.put(key, data).await;
                    }
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
                {
                    let (key, data) = put(Bytes::from(data))?;
                    run.put(key, data).await;
                }
            },
        }
    }
    let (failed, _) = run.finish(conn, "put").await;
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
