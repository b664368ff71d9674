//! `riffle tail STREAM`: follows every shard of a stream like `tail -f`, by polling GetRecords
//! or by enhanced fan-out, and follows resharding: a child shard is read once all its parents
//! are finished, so each partition key's records come out in order. KPL aggregated records
//! are split back into user records.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{ShardIteratorType, StartingPosition, SubscribeToShardEventStream};
use riffle_client::consumer::{ConsumerRecord, register, to_user_records};
use serde_json::json;
use tokio::sync::mpsc;

use super::{Conn, sdk};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The data bytes as they are, nothing else.
    Raw,
    /// Shard, sequence number and the data as text.
    Utf8,
    /// One JSON object per record.
    Json,
    /// Shard, sequence number and a hex dump of the data.
    Hex,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TailArgs {
    pub stream: String,
    /// Where to start: trim-horizon, latest, a time (RFC 3339 or epoch seconds), or a
    /// sequence number.
    #[arg(long, default_value = "latest")]
    pub from: String,
    /// Read by enhanced fan-out as this consumer (registered if needed) instead of polling.
    #[arg(long, value_name = "CONSUMER")]
    pub efo: Option<String>,
    /// How records are printed.
    #[arg(long, value_enum, default_value = "utf8")]
    pub format: Format,
    /// Stop after this many records.
    #[arg(long)]
    pub count: Option<u64>,
    /// Print KPL aggregated records as they are instead of splitting them.
    #[arg(long)]
    pub no_deaggregate: bool,
}

/// Where a shard starts.
#[derive(Debug, Clone, PartialEq)]
enum From {
    TrimHorizon,
    Latest,
    At(DateTime),
    Sequence(String),
    /// Just after a sequence number (an ended subscription's continuation).
    After(String),
}

fn parse_from(s: &str) -> anyhow::Result<From> {
    Ok(match s {
        "trim-horizon" | "TRIM_HORIZON" => From::TrimHorizon,
        "latest" | "LATEST" => From::Latest,
        _ if s.len() > 20 && s.bytes().all(|b| b.is_ascii_digit()) => From::Sequence(s.to_string()),
        _ => match s.parse::<f64>() {
            Ok(secs) => From::At(DateTime::from_secs_f64(secs)),
            Err(_) => From::At(
                DateTime::from_str(s, aws_sdk_kinesis::primitives::DateTimeFormat::DateTimeWithOffset)
                    .with_context(|| format!("--from {s}: not trim-horizon, latest, a time or a sequence number"))?,
            ),
        },
    })
}

/// What shard readers tell the coordinator.
enum Event {
    Records(Vec<ConsumerRecord>),
    /// The shard is finished; these are its children.
    Ended {
        shard: String,
        children: Vec<(String, Vec<String>)>,
    },
    /// Reading the shard failed (already reported).
    Failed,
}

fn print(out: &mut impl Write, l: &ConsumerRecord, format: Format) -> std::io::Result<()> {
    let seq = match l.sub_sequence_number {
        Some(i) => format!("{}:{i}", l.sequence_number),
        None => l.sequence_number.clone(),
    };
    match format {
        Format::Raw => out.write_all(&l.data),
        Format::Utf8 => writeln!(out, "{} {seq} {}", l.shard_id, String::from_utf8_lossy(&l.data)),
        Format::Json => {
            let (text, b64) = match std::str::from_utf8(&l.data) {
                Ok(t) => (Some(t), None),
                Err(_) => (None, Some(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &l.data))),
            };
            let v = json!({
                "shard": l.shard_id, "sequence_number": l.sequence_number, "sub_sequence_number": l.sub_sequence_number,
                "partition_key": l.partition_key, "arrival": l.arrival.map(|t| t.as_secs_f64()),
                "data": text, "data_base64": b64,
            });
            writeln!(out, "{v}")
        }
        Format::Hex => {
            writeln!(out, "{} {seq} ({} bytes)", l.shard_id, l.data.len())?;
            for (i, chunk) in l.data.chunks(16).enumerate() {
                let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let text: String =
                    chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
                writeln!(out, "  {:08x}  {:<48} |{text}|", i * 16, hex.join(" "))?;
            }
            Ok(())
        }
    }
}

fn position(from: &From) -> (ShardIteratorType, Option<String>, Option<DateTime>) {
    match from {
        From::TrimHorizon => (ShardIteratorType::TrimHorizon, None, None),
        From::Latest => (ShardIteratorType::Latest, None, None),
        From::At(t) => (ShardIteratorType::AtTimestamp, None, Some(*t)),
        From::Sequence(s) => (ShardIteratorType::AtSequenceNumber, Some(s.clone()), None),
        From::After(s) => (ShardIteratorType::AfterSequenceNumber, Some(s.clone()), None),
    }
}

/// Reads one shard by polling until it ends.
async fn poll_shard(
    k: Client,
    stream: String,
    shard: String,
    from: From,
    split: bool,
    tx: mpsc::Sender<Event>,
) -> anyhow::Result<()> {
    let (kind, seq, at) = position(&from);
    let it = k
        .get_shard_iterator()
        .stream_name(&stream)
        .shard_id(&shard)
        .shard_iterator_type(kind)
        .set_starting_sequence_number(seq)
        .set_timestamp(at)
        .send()
        .await
        .map_err(sdk)?;
    let mut it = it.shard_iterator().map(str::to_string);
    while let Some(i) = it {
        let out = match k.get_records().shard_iterator(&i).limit(10_000).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                it = Some(i);
                continue;
            }
            Err(e) => return Err(sdk(e)),
        };
        let n = out.records().len();
        if n > 0 && tx.send(Event::Records(to_user_records(&shard, out.records(), split))).await.is_err() {
            return Ok(());
        }
        it = out.next_shard_iterator().map(str::to_string);
        if it.is_none() {
            let children =
                out.child_shards().iter().map(|c| (c.shard_id().to_string(), c.parent_shards().to_vec())).collect();
            let _ = tx.send(Event::Ended { shard, children }).await;
            return Ok(());
        }
        if n == 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Reads one shard by enhanced fan-out until it ends, subscribing again every 5 minutes.
async fn push_shard(
    k: Client,
    consumer: String,
    shard: String,
    from: From,
    split: bool,
    tx: mpsc::Sender<Event>,
) -> anyhow::Result<()> {
    let mut from = from;
    loop {
        let (kind, seq, at) = position(&from);
        let start = StartingPosition::builder().r#type(kind).set_sequence_number(seq).set_timestamp(at).build()?;
        let mut sub = k
            .subscribe_to_shard()
            .consumer_arn(&consumer)
            .shard_id(&shard)
            .starting_position(start)
            .send()
            .await
            .map_err(sdk)?;
        let mut last: Option<String> = None;
        while let Some(ev) = sub
            .event_stream
            .recv()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_kinesis::error::DisplayErrorContext(e)))?
        {
            if let SubscribeToShardEventStream::SubscribeToShardEvent(e) = ev {
                if !e.records().is_empty()
                    && tx.send(Event::Records(to_user_records(&shard, e.records(), split))).await.is_err()
                {
                    return Ok(());
                }
                if !e.child_shards().is_empty() {
                    let children = e
                        .child_shards()
                        .iter()
                        .map(|c| (c.shard_id().to_string(), c.parent_shards().to_vec()))
                        .collect();
                    let _ = tx.send(Event::Ended { shard, children }).await;
                    return Ok(());
                }
                let c = e.continuation_sequence_number();
                if !c.is_empty() {
                    last = Some(c.to_string());
                }
            }
        }
        // The subscription ended (after 5 minutes): continue after the last position.
        if let Some(c) = last {
            from = From::After(c);
        }
    }
}

pub async fn run(conn: &Conn, args: TailArgs) -> anyhow::Result<()> {
    let k = conn.client();
    let from = parse_from(&args.from)?;
    let format = if conn.json { Format::Json } else { args.format };
    let split = !args.no_deaggregate;
    let consumer = match &args.efo {
        Some(name) => Some(register(&k, &args.stream, name).await?),
        None => None,
    };
    let shards = super::list_shards(&k, &args.stream).await?;
    let known: HashSet<String> = shards.iter().map(|s| s.shard_id().to_string()).collect();
    let is_open = |s: &aws_sdk_kinesis::types::Shard| {
        s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none())
    };
    // Which shards start now: from the oldest data, the shards whose parents are gone (their
    // children follow as they finish); from the tip, the open shards.
    let start: Vec<(String, From)> = match &from {
        From::TrimHorizon | From::At(_) => shards
            .iter()
            .filter(|s| {
                [s.parent_shard_id(), s.adjacent_parent_shard_id()].iter().flatten().all(|p| !known.contains(*p))
            })
            .map(|s| (s.shard_id().to_string(), from.clone()))
            .collect(),
        From::Latest => {
            shards.iter().filter(|s| is_open(s)).map(|s| (s.shard_id().to_string(), From::Latest)).collect()
        }
        From::Sequence(seq) | From::After(seq) => {
            // The shard holding the sequence number starts there; the other open shards at the tip.
            let mut owner = None;
            for s in &shards {
                let ok = k
                    .get_shard_iterator()
                    .stream_name(&args.stream)
                    .shard_id(s.shard_id())
                    .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                    .starting_sequence_number(seq)
                    .send()
                    .await
                    .is_ok();
                if ok {
                    owner = Some(s.shard_id().to_string());
                    break;
                }
            }
            let owner = owner.with_context(|| format!("no shard of {} holds sequence number {seq}", args.stream))?;
            let mut v = vec![(owner.clone(), from.clone())];
            v.extend(
                shards
                    .iter()
                    .filter(|s| is_open(s) && s.shard_id() != owner)
                    .map(|s| (s.shard_id().to_string(), From::Latest)),
            );
            v
        }
    };
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    let spawn = |shard: String, from: From| {
        let (k, tx, stream, consumer) = (k.clone(), tx.clone(), args.stream.clone(), consumer.clone());
        let tx_failed = tx.clone();
        tokio::spawn(async move {
            let r = match consumer {
                Some(c) => push_shard(k, c, shard.clone(), from, split, tx).await,
                None => poll_shard(k, stream, shard.clone(), from, split, tx).await,
            };
            if let Err(e) = r {
                eprintln!("riffle tail: {shard}: {e:#}");
                let _ = tx_failed.send(Event::Failed).await;
            }
        })
    };
    let mut reading: HashSet<String> = HashSet::new();
    for (shard, f) in start {
        reading.insert(shard.clone());
        spawn(shard, f);
    }
    // Readers still running; the tail ends when none is left (every shard closed and read).
    let mut active = reading.len();
    if active == 0 {
        bail!("stream {} has no shards to read", args.stream);
    }
    let mut done: HashSet<String> = HashSet::new();
    let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
    let mut printed = 0u64;
    let stdout = std::io::stdout();
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Records(ls) => {
                let mut out = stdout.lock();
                for l in &ls {
                    print(&mut out, l, format)?;
                    printed += 1;
                    if args.count.is_some_and(|c| printed >= c) {
                        out.flush()?;
                        return Ok(());
                    }
                }
                out.flush()?;
            }
            Event::Failed => active -= 1,
            Event::Ended { shard, children } => {
                active -= 1;
                done.insert(shard);
                for (child, parents) in children {
                    waiting.insert(child, parents);
                }
                // A child starts once every parent being read has finished.
                let ready: Vec<String> = waiting
                    .iter()
                    .filter(|(c, ps)| {
                        !reading.contains(*c) && ps.iter().all(|p| done.contains(p) || !reading.contains(p))
                    })
                    .map(|(c, _)| c.clone())
                    .collect();
                for c in ready {
                    reading.insert(c.clone());
                    active += 1;
                    spawn(c, From::TrimHorizon);
                }
            }
        }
        if active == 0 {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions() {
        assert_eq!(parse_from("trim-horizon").unwrap(), From::TrimHorizon);
        assert_eq!(parse_from("latest").unwrap(), From::Latest);
        let seq = "49590338271490256608559692538361571095921575989136588898";
        assert_eq!(parse_from(seq).unwrap(), From::Sequence(seq.into()));
        assert_eq!(parse_from("1700000000").unwrap(), From::At(DateTime::from_secs(1_700_000_000)));
        assert_eq!(parse_from("2023-11-14T22:13:20Z").unwrap(), From::At(DateTime::from_secs(1_700_000_000)));
        assert!(parse_from("yesterday").is_err());
    }
}
