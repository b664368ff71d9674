//! `riffle bench`: drives any Kinesis endpoint (Riffle, kinesalite, kinesis-mock, AWS) over
//! HTTP/1.1 with AWS JSON requests and reports what it measured, in readable lines and one
//! JSON line. It creates its own stream and deletes it afterwards. Modes:
//!
//! - `put`: connections x PutRecords of `batch` records of `record-size` bytes for `seconds`;
//!   records/s, MB/s, request latency p50/p99/p999.
//! - `drain`: writes `records` records, then reads every shard with GetRecords as fast as it
//!   can; records/s.
//! - `codec`: no server; how fast one core decodes the same PutRecords bodies (the typed fast
//!   path) and encodes their replies: the ceiling the server's ingest is measured against.
//! - `latency-poll` / `latency-efo`: one writer puts `rate` records/s (each carrying its send
//!   time); readers poll GetRecords, or hold SubscribeToShard streams; end-to-end latency
//!   p50/p99 from put to delivery.
//!
//! The server should run without throughput limits (`--limits off` for Riffle), as the
//! emulators have none.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::{RngCore, SeedableRng};
use serde_json::{Value, json};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The codec-only limit: decode PutRecords bodies and encode their replies in-process, on
    /// one core, with no network and no storage.
    Codec,
    Put,
    Drain,
    LatencyPoll,
    LatencyEfo,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum, default_value = "put")]
    pub mode: Mode,
    /// The Kinesis endpoint to drive.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    pub endpoint: String,
    /// Shards of the benchmark's stream.
    #[arg(long, default_value_t = 4)]
    pub shards: u32,
    /// Concurrent connections (put).
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Bytes of data per record.
    #[arg(long, default_value_t = 1024)]
    pub record_size: usize,
    /// How long to run (put, latency modes).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Records to write and then read (drain).
    #[arg(long, default_value_t = 200_000)]
    pub records: u64,
    /// Records per second the writer puts (latency modes).
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// A label for the JSON line (e.g. the server's name).
    #[arg(long, default_value = "riffle")]
    pub label: String,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A JSON 1.1 client with a well-formed (unverified) SigV4 header, as emulators accept.
#[derive(Clone)]
struct Kinesis {
    http: HttpClient,
    endpoint: String,
}

impl Kinesis {
    fn request(&self, op: &str, body: Bytes) -> anyhow::Result<Request<Full<Bytes>>> {
        Ok(Request::post(&self.endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("Kinesis_20131202.{op}"))
            .header("x-amz-date", "20260101T000000Z")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
            )
            .body(Full::new(body))?)
    }

    async fn raw(&self, op: &str, body: Bytes) -> anyhow::Result<(u16, Bytes)> {
        let resp = self.http.request(self.request(op, body)?).await?;
        let status = resp.status().as_u16();
        Ok((status, resp.into_body().collect().await?.to_bytes()))
    }

    async fn call(&self, op: &str, body: Value) -> anyhow::Result<Value> {
        self.call_as(op, body).await
    }

    /// Calls `op` and decodes only the shape `T` of the reply: the drain reads GetRecords
    /// replies into [`RecordCount`], so the client's own parsing stays small next to the
    /// server's work (the same client measures every server).
    async fn call_as<T: serde::de::DeserializeOwned + Default>(&self, op: &str, body: Value) -> anyhow::Result<T> {
        let (status, bytes) = self.raw(op, body.to_string().into()).await?;
        if status != 200 {
            bail!("{op} failed: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(if bytes.is_empty() { T::default() } else { serde_json::from_slice(&bytes)? })
    }
}

/// A GetRecords reply with its records counted but not decoded.
#[derive(Default, serde::Deserialize)]
struct RecordCount {
    #[serde(rename = "Records", default)]
    records: Vec<serde::de::IgnoredAny>,
    #[serde(rename = "NextShardIterator", default)]
    next_shard_iterator: Option<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as u64
}

/// A PutRecords body of `n` random records of `size` bytes; each starts with its send time
/// when `stamp` is set (filled in just before sending).
fn records_body(stream: &str, n: usize, size: usize, rng: &mut impl RngCore) -> Value {
    let mut data = vec![0u8; size.max(8)];
    let entries: Vec<Value> = (0..n)
        .map(|_| {
            rng.fill_bytes(&mut data);
            json!({
                "PartitionKey": format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
                "Data": STANDARD.encode(&data),
            })
        })
        .collect();
    json!({"StreamName": stream, "Records": entries})
}

async fn create_stream(k: &Kinesis, name: &str, shards: u32) -> anyhow::Result<Vec<String>> {
    k.call("CreateStream", json!({"StreamName": name, "ShardCount": shards}))
        .await
        .context("is the server running?")?;
    for _ in 0..600 {
        let d = k.call("DescribeStream", json!({"StreamName": name})).await?;
        if d["StreamDescription"]["StreamStatus"] == "ACTIVE" {
            let ids = d["StreamDescription"]["Shards"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s["ShardId"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            return Ok(ids);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("stream {name} never became ACTIVE")
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.mode == Mode::Codec {
        let mut report = codec(&args)?;
        report["label"] = json!(args.label);
        report["mode"] = json!("Codec");
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let k = Kinesis { http: Client::builder(TokioExecutor::new()).build(connector), endpoint: args.endpoint.clone() };
    let stream = format!("riffle-bench-{:08x}", rand::random::<u32>());
    let shard_ids = create_stream(&k, &stream, args.shards).await?;
    let result = match args.mode {
        Mode::Put => put(&k, &stream, &args).await,
        Mode::Drain => drain(&k, &stream, &shard_ids, &args).await,
        Mode::LatencyPoll | Mode::LatencyEfo => latency(&k, &stream, &shard_ids, &args).await,
        Mode::Codec => unreachable!("codec mode returned above"),
    };
    let _ = k.call("DeleteStream", json!({"StreamName": stream, "EnforceConsumerDeletion": true})).await;
    let mut report = result?;
    report["label"] = json!(args.label);
    report["mode"] = json!(format!("{:?}", args.mode));
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn codec(args: &BenchArgs) -> anyhow::Result<Value> {
    use riffle_wire::Codec;
    use riffle_wire::model::kinesis::{PutRecordsOutput, PutRecordsResultEntry};
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let bodies: Vec<Vec<u8>> = (0..4)
        .map(|_| records_body("codec", args.batch, args.record_size, &mut rng).to_string().into_bytes())
        .collect();
    let seq = riffle_types::SequenceNumber {
        shard_created_secs: 1_795_000_000,
        shard_index: 3,
        counter: 0,
        record_secs: 1_795_000_100,
    };
    let measure = |with_reply: bool| -> anyhow::Result<f64> {
        let (start, mut records) = (Instant::now(), 0u64);
        while start.elapsed() < Duration::from_secs(args.seconds.max(1)) {
            for body in &bodies {
                let (input, _) =
                    riffle_wire::model::fast::put_records(body).context("the fast path refused a bench body")?;
                records += input.records.len() as u64;
                if with_reply {
                    let out = PutRecordsOutput {
                        failed_record_count: 0,
                        records: seq
                            .render_consecutive(input.records.len())
                            .into_iter()
                            .map(|n| PutRecordsResultEntry {
                                sequence_number: Some(n),
                                shard_id: Some("shardId-000000000003".into()),
                                ..Default::default()
                            })
                            .collect(),
                        encryption_type: None,
                    };
                    std::hint::black_box(Codec::Json.encode(&out));
                }
                std::hint::black_box(input);
            }
        }
        Ok(records as f64 / start.elapsed().as_secs_f64())
    };
    let decode = measure(false)?;
    let round_trip = measure(true)?;
    println!(
        "codec: PutRecords of {} x {} B on one core: decode {decode:.0} records/s, decode and reply {round_trip:.0} records/s",
        args.batch, args.record_size
    );
    Ok(json!({"decode_records_per_sec": decode, "decode_and_reply_records_per_sec": round_trip}))
}

async fn put(k: &Kinesis, stream: &str, args: &BenchArgs) -> anyhow::Result<Value> {
    // Bodies are built before the clock starts: the client's JSON work is not measured.
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let bodies: Vec<Vec<Bytes>> = (0..args.connections)
        .map(|_| {
            (0..4).map(|_| records_body(stream, args.batch, args.record_size, &mut rng).to_string().into()).collect()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mine in bodies {
        let k = k.clone();
        let batch = args.batch as u64;
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut latencies) = (0u64, Vec::new());
            for body in mine.iter().cycle() {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let (status, resp) = k.raw("PutRecords", body.clone()).await?;
                latencies.push(t.elapsed());
                if status != 200 {
                    bail!("PutRecords failed: {status} {}", String::from_utf8_lossy(&resp));
                }
                let v: Value = serde_json::from_slice(&resp)?;
                ok += batch - v["FailedRecordCount"].as_u64().unwrap_or(0);
            }
            Ok::<_, anyhow::Error>((ok, latencies))
        }));
    }
    let (mut records, mut latencies) = (0u64, Vec::new());
    for t in tasks {
        let (r, l) = t.await??;
        records += r;
        latencies.extend(l);
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let rps = records as f64 / secs;
    let mbps = records as f64 * args.record_size as f64 / 1e6 / secs;
    let (p50, p99, p999) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99), percentile(&latencies, 0.999));
    println!(
        "put: {} connections x {} x {} B on {} shards, {:.1} s: {:.0} records/s, {:.1} MB/s, latency ms p50 {:.1} p99 {:.1} p999 {:.1}",
        args.connections, args.batch, args.record_size, args.shards, secs, rps, mbps, p50, p99, p999
    );
    Ok(
        json!({"records_per_sec": rps, "mb_per_sec": mbps, "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "calls": latencies.len()}),
    )
}

async fn drain(k: &Kinesis, stream: &str, shard_ids: &[String], args: &BenchArgs) -> anyhow::Result<Value> {
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let mut written = 0u64;
    while written < args.records {
        let n = (args.records - written).min(args.batch as u64) as usize;
        let out = k.call("PutRecords", records_body(stream, n, args.record_size, &mut rng)).await?;
        written += n as u64 - out["FailedRecordCount"].as_u64().unwrap_or(0);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for shard in shard_ids {
        let (k, stream, shard) = (k.clone(), stream.to_string(), shard.clone());
        tasks.push(tokio::spawn(async move {
            let it = k
                .call(
                    "GetShardIterator",
                    json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
                )
                .await?;
            let mut it = it["ShardIterator"].as_str().map(str::to_string);
            let mut got = 0u64;
            while let Some(i) = it {
                let out: RecordCount = k.call_as("GetRecords", json!({"ShardIterator": i, "Limit": 10000})).await?;
                let n = out.records.len() as u64;
                got += n;
                if n == 0 {
                    break;
                }
                it = out.next_shard_iterator;
            }
            Ok::<_, anyhow::Error>(got)
        }));
    }
    let mut read = 0u64;
    for t in tasks {
        read += t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let rps = read as f64 / secs;
    println!(
        "drain: {read} of {written} records of {} B from {} shards in {secs:.2} s: {rps:.0} records/s",
        args.record_size,
        shard_ids.len()
    );
    if read < written {
        bail!("read {read} records but wrote {written}");
    }
    Ok(json!({"records_per_sec": rps, "records": read, "seconds": secs}))
}

/// The send time (microseconds) a latency record carries in its first 8 bytes.
fn sent_at(data_b64: &str) -> Option<u64> {
    let raw = STANDARD.decode(data_b64).ok()?;
    Some(u64::from_be_bytes(raw.get(..8)?.try_into().ok()?))
}

async fn latency(k: &Kinesis, stream: &str, shard_ids: &[String], args: &BenchArgs) -> anyhow::Result<Value> {
    let efo = args.mode == Mode::LatencyEfo;
    let samples = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let stop = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let consumer = if efo {
        let d = k.call("DescribeStreamSummary", json!({"StreamName": stream})).await?;
        let arn = d["StreamDescriptionSummary"]["StreamARN"].as_str().context("no StreamARN")?.to_string();
        let c = k.call("RegisterStreamConsumer", json!({"StreamARN": arn, "ConsumerName": "bench"})).await?;
        let carn = c["Consumer"]["ConsumerARN"].as_str().context("no ConsumerARN")?.to_string();
        for _ in 0..200 {
            let d = k.call("DescribeStreamConsumer", json!({"ConsumerARN": carn})).await?;
            if d["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(carn)
    } else {
        None
    };
    for shard in shard_ids {
        let (k, stream, shard, samples, stop) =
            (k.clone(), stream.to_string(), shard.clone(), samples.clone(), stop.clone());
        let consumer = consumer.clone();
        readers.push(tokio::spawn(async move {
            let record = |v: &Value| {
                if let Some(t) = v["Data"].as_str().and_then(sent_at) {
                    let lat = now_micros().saturating_sub(t);
                    samples.lock().expect("lock").push(Duration::from_micros(lat));
                }
            };
            match consumer {
                Some(carn) => {
                    let body = json!({"ConsumerARN": carn, "ShardId": shard, "StartingPosition": {"Type": "LATEST"}});
                    let resp = k.http.request(k.request("SubscribeToShard", body.to_string().into())?).await?;
                    let mut body = resp.into_body();
                    let mut buf = BytesMut::new();
                    while stop.load(Ordering::Relaxed) == 0 {
                        let Some(frame) =
                            tokio::time::timeout(Duration::from_millis(200), body.frame()).await.ok().flatten()
                        else {
                            continue;
                        };
                        if let Ok(data) = frame?.into_data() {
                            buf.extend_from_slice(&data);
                        }
                        while buf.len() >= 4 {
                            let total = u32::from_be_bytes(buf[..4].try_into().expect("4 bytes")) as usize;
                            if buf.len() < total {
                                break;
                            }
                            let mut frame = buf.split_to(total).freeze();
                            let msg = aws_smithy_eventstream::frame::read_message_from(&mut frame)?;
                            if let Ok(v) = serde_json::from_slice::<Value>(msg.payload()) {
                                for r in v["Records"].as_array().into_iter().flatten() {
                                    record(r);
                                }
                            }
                            let _ = frame.remaining();
                        }
                    }
                }
                None => {
                    let it = k
                        .call(
                            "GetShardIterator",
                            json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": "LATEST"}),
                        )
                        .await?;
                    let mut it = it["ShardIterator"].as_str().map(str::to_string);
                    while let (Some(i), 0) = (&it, stop.load(Ordering::Relaxed)) {
                        let out = k.call("GetRecords", json!({"ShardIterator": i})).await?;
                        for r in out["Records"].as_array().into_iter().flatten() {
                            record(r);
                        }
                        it = out["NextShardIterator"].as_str().map(str::to_string);
                    }
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // readers are in place
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let per_tick = (args.rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut sent = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        let mut data = vec![0u8; args.record_size.max(8)];
        let entries: Vec<Value> = (0..per_tick)
            .map(|_| {
                rng.fill_bytes(&mut data);
                data[..8].copy_from_slice(&now_micros().to_be_bytes());
                json!({"PartitionKey": format!("{:x}", rng.next_u64()), "Data": STANDARD.encode(&data)})
            })
            .collect();
        k.call("PutRecords", json!({"StreamName": stream, "Records": entries})).await?;
        sent += per_tick;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(1, Ordering::Relaxed);
    for r in readers {
        let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
    }
    let mut s = samples.lock().expect("lock").clone();
    s.sort();
    let (p50, p99) = (percentile(&s, 0.5), percentile(&s, 0.99));
    println!(
        "{}: {} records at {}/s, {} delivered, end-to-end ms p50 {p50:.2} p99 {p99:.2}",
        if efo { "latency-efo" } else { "latency-poll" },
        sent,
        args.rate,
        s.len()
    );
    Ok(json!({"sent": sent, "delivered": s.len(), "p50_ms": p50, "p99_ms": p99}))
}
