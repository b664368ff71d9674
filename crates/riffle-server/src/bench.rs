//! `riffle bench`: PutRecords load against a running server over loopback. Several connections
//! each send batches of records with random partition keys for a bounded time (or request
//! count), then it prints records/s, MiB/s and latency percentiles.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::{RngCore, SeedableRng};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// The server to drive.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    pub endpoint: String,
    /// Stream to write to; created if missing.
    #[arg(long, default_value = "riffle-bench")]
    pub stream: String,
    /// Shards of the stream when it is created.
    #[arg(long, default_value_t = 4)]
    pub shards: u32,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Bytes of data per record.
    #[arg(long, default_value_t = 1024)]
    pub record_size: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Stop after this many calls in all, if sooner.
    #[arg(long)]
    pub max_requests: Option<u64>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

const BODIES_PER_CONNECTION: usize = 4;

/// A PutRecords body of `args.batch` random records with random partition keys.
fn put_records_body(args: &BenchArgs, rng: &mut impl RngCore) -> Bytes {
    let mut data = vec![0u8; args.record_size];
    let entries: Vec<serde_json::Value> = (0..args.batch)
        .map(|_| {
            rng.fill_bytes(&mut data);
            serde_json::json!({
                "PartitionKey": format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
                "Data": base64::engine::general_purpose::STANDARD.encode(&data),
            })
        })
        .collect();
    serde_json::json!({"StreamName": args.stream, "Records": entries}).to_string().into()
}

async fn call(client: &HttpClient, endpoint: &str, op: &str, body: Bytes) -> anyhow::Result<(u16, Bytes)> {
    let req = Request::post(endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("Kinesis_20131202.{op}"))
        .header("x-amz-date", "20260101T000000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
        )
        .body(Full::new(body))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let create = serde_json::json!({"StreamName": args.stream, "ShardCount": args.shards});
    let (status, body) = call(&client, &args.endpoint, "CreateStream", create.to_string().into())
        .await
        .context("is the server running?")?;
    if status != 200 && !String::from_utf8_lossy(&body).contains("ResourceInUseException") {
        bail!("CreateStream failed: {status} {}", String::from_utf8_lossy(&body));
    }
    loop {
        let d = serde_json::json!({"StreamName": args.stream}).to_string();
        let (_, body) = call(&client, &args.endpoint, "DescribeStreamSummary", d.into()).await?;
        if String::from_utf8_lossy(&body).contains("\"ACTIVE\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Request bodies are built before the clock starts, so that the client's JSON and base64
    // work is not measured: each connection cycles through its own few distinct bodies.
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let bodies: Vec<Vec<Bytes>> = (0..args.connections)
        .map(|_| (0..BODIES_PER_CONNECTION).map(|_| put_records_body(&args, &mut rng)).collect())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let budget = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(args.max_requests.unwrap_or(u64::MAX)));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mine in bodies {
        let client = client.clone();
        let args = args.clone();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut records = 0u64;
            for body in mine.iter().cycle() {
                if Instant::now() >= deadline {
                    break;
                }
                let take = |b: u64| b.checked_sub(1);
                if budget.fetch_update(Ordering::AcqRel, Ordering::Acquire, take).is_err() {
                    break;
                }
                let t = Instant::now();
                let (status, resp) = call(&client, &args.endpoint, "PutRecords", body.clone()).await?;
                latencies.push(t.elapsed());
                if status != 200 {
                    bail!("PutRecords failed: {status} {}", String::from_utf8_lossy(&resp));
                }
                let v: serde_json::Value = serde_json::from_slice(&resp)?;
                let failed = v["FailedRecordCount"].as_u64().unwrap_or(0);
                records += args.batch as u64 - failed;
            }
            Ok::<_, anyhow::Error>((records, latencies))
        }));
    }
    let mut records = 0u64;
    let mut latencies = Vec::new();
    for t in tasks {
        let (r, l) = t.await??;
        records += r;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let mib = records as f64 * args.record_size as f64 / (1024.0 * 1024.0);
    println!(
        "riffle bench: {} connections x PutRecords of {} x {} B on {} shards, {:.1} s",
        args.connections, args.batch, args.record_size, args.shards, elapsed
    );
    println!("  calls        {}", latencies.len());
    println!("  records/s    {:.0}", records as f64 / elapsed);
    println!("  MiB/s        {:.1}", mib / elapsed);
    println!(
        "  latency ms   p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.90).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&latencies, 1.0).as_secs_f64() * 1e3,
    );
    Ok(())
}
