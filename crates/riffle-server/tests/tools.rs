//! The `riffle` tools and the `riffle-client` producer against a real server: stream
//! management, put, tail across a reshard, the generator's distribution report, the planner,
//! and the producer's pacing under the server's throughput limits.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use common::Server;
use riffle_client::agg::deaggregate;
use riffle_client::producer::{Producer, ProducerConfig};
use serde_json::Value;

fn riffle(server: &Server, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_riffle"))
        .args(args)
        .env("RIFFLE_ENDPOINT", format!("http://127.0.0.1:{}", server.port))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn stream_commands_put_and_tail_across_a_split() {
    let server = Server::start(&["--limits", "off"]);
    assert!(riffle(&server, &["stream", "create", "t", "--shards", "2"], None).0);
    let (ok, list) = riffle(&server, &["stream", "list"], None);
    assert!(ok && list.lines().any(|l| l == "t"), "{list}");
    // Put JSON lines keyed by a field, split a shard, put more; tail from the start sees all,
    // per key in order.
    let first: String = (0..300).map(|i| format!("{{\"user\":\"u{}\",\"n\":{i}}}\n", i % 7)).collect();
    assert!(riffle(&server, &["put", "t", "--key", "field:user"], Some(&first)).0);
    assert!(riffle(&server, &["stream", "split", "t", "shardId-000000000000"], None).0);
    let second: String = (300..600).map(|i| format!("{{\"user\":\"u{}\",\"n\":{i}}}\n", i % 7)).collect();
    assert!(riffle(&server, &["put", "t", "--key", "field:user", "--no-aggregate"], Some(&second)).0);
    let (ok, out) = riffle(&server, &["tail", "t", "--from", "trim-horizon", "--count", "600", "--json"], None);
    assert!(ok);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 600);
    let mut last: HashMap<String, i64> = HashMap::new();
    for l in &lines {
        let rec: Value = serde_json::from_str(l["data"].as_str().unwrap()).unwrap();
        let (user, n) = (rec["user"].as_str().unwrap().to_string(), rec["n"].as_i64().unwrap());
        assert_eq!(l["partition_key"], rec["user"]);
        assert!(last.get(&user).is_none_or(|p| *p < n), "{user}: {n} after {:?}", last.get(&user));
        last.insert(user, n);
    }
    assert!(lines.iter().any(|l| l["sub_sequence_number"].is_number()), "the first put was aggregated");
    let (ok, d) = riffle(&server, &["stream", "describe", "t", "--json"], None);
    let d: Value = serde_json::from_str(d.trim()).unwrap();
    assert!(ok);
    assert_eq!(d["open_shards"], 3);
    assert_eq!(d["shards"].as_array().unwrap().iter().filter(|s| s["parent"] == "shardId-000000000000").count(), 2);
    assert!(riffle(&server, &["stream", "scale", "t", "4"], None).0);
    assert!(riffle(&server, &["stream", "retention", "t", "48"], None).0);
    let (_, d) = riffle(&server, &["stream", "describe", "t", "--json"], None);
    let d: Value = serde_json::from_str(d.trim()).unwrap();
    assert_eq!((d["open_shards"].as_i64(), d["retention_hours"].as_i64()), (Some(4), Some(48)));
    assert!(riffle(&server, &["stream", "delete", "t"], None).0);
    assert!(!riffle(&server, &["stream", "describe", "t"], None).0, "gone");
}

#[test]
fn gen_reports_an_even_spread_and_plan_finds_the_binding_limit() {
    let server = Server::start(&["--limits", "off"]);
    assert!(riffle(&server, &["stream", "create", "g", "--shards", "4"], None).0);
    let (ok, out) = riffle(&server, &["gen", "g", "--count", "20000", "--rate", "0", "--json"], None);
    assert!(ok);
    let lines = json_lines(&out);
    assert_eq!(lines[0]["records"], 20000);
    let report = &lines[1];
    assert_eq!(report["records"], 20000);
    assert_eq!(report["shards"].as_array().unwrap().len(), 4);
    assert_eq!(report["even"], true, "{report}");
    // One fixed key puts everything on one shard: uneven.
    let (_, out) =
        riffle(&server, &["gen", "g", "--count", "500", "--rate", "0", "--key", "fixed:hot", "--json"], None);
    assert_eq!(json_lines(&out)[1]["even"], false);
    let (ok, plan) = riffle(
        &server,
        &["plan", "--records-per-sec", "3000", "--record-bytes", "1500", "--consumers", "3", "--json"],
        None,
    );
    let plan: Value = serde_json::from_str(plan.trim()).unwrap();
    assert!(ok);
    assert_eq!((plan["shards"].as_u64(), plan["binding"].as_str()), (Some(9), Some("outgoing read bandwidth")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_producer_paces_itself_under_shard_limits_and_loses_nothing() {
    // Throughput limits on: one shard takes 1,000 records/s and 1 MiB/s.
    let server = Server::start(&[]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("p").shard_count(1).send().await.unwrap();
    // Unaggregated 1 KiB records: 3,000 of them need about 3 s at the shard's limit.
    let config = ProducerConfig { aggregation: false, rate_limit_percent: 100, ..Default::default() };
    let producer = Producer::new(k.clone(), "p", config).await.unwrap();
    let handles: Vec<_> = (0..3000).map(|i| producer.put(format!("k{}", i % 10), vec![i as u8; 1024])).collect();
    for h in handles {
        let o = h.await.expect("every record is acknowledged");
        assert_eq!(o.shard_id, "shardId-000000000000");
    }
    let m = producer.metrics();
    assert_eq!((m.user_records_put, m.user_records_failed, m.buffered), (3000, 0, 0));
    assert!(m.throttled * 10 < m.kinesis_records_put, "pacing keeps throttling rare: {m:?}");
    // Aggregated: many small records ride in few Kinesis records, and read back in order.
    let producer2 = Producer::new(k.clone(), "p", ProducerConfig::default()).await.unwrap();
    let handles: Vec<_> = (0..5000).map(|i| producer2.put("same", format!("r{i}"))).collect();
    producer2.flush().await;
    let mut subs = Vec::new();
    for h in handles {
        subs.push(h.await.unwrap().sub_sequence_number);
    }
    assert!(subs.iter().filter(|s| s.is_some()).count() > 4000);
    let m2 = producer2.metrics();
    assert!(m2.kinesis_records_put < 500, "{m2:?}");
    producer2.shutdown().await;
    assert!(matches!(producer2.put("x", "y").await, Err(riffle_client::Error::Closed)));
    // Read everything back with the SDK and de-aggregate.
    let it = k
        .get_shard_iterator()
        .stream_name("p")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let mut it = it.shard_iterator().map(str::to_string);
    let mut users = Vec::new();
    while let Some(i) = it {
        let out = match k.get_records().shard_iterator(&i).send().await {
            Ok(out) => out,
            Err(e) => {
                // The read limit (2 MiB/s per shard, reads after a big one wait): try again.
                assert!(
                    e.as_service_error().is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()),
                    "{e:?}"
                );
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                it = Some(i);
                continue;
            }
        };
        if out.records().is_empty() {
            break;
        }
        for r in out.records() {
            let data = bytes::Bytes::copy_from_slice(r.data().as_ref());
            match deaggregate(&data) {
                Some(us) => users.extend(us.into_iter().map(|u| u.data)),
                None => users.push(data),
            }
        }
        it = out.next_shard_iterator().map(str::to_string);
        tokio::time::sleep(std::time::Duration::from_millis(210)).await; // 5 reads/s per shard
    }
    assert_eq!(users.len(), 8000);
    let tail: Vec<String> = users[3000..].iter().map(|d| String::from_utf8(d.to_vec()).unwrap()).collect();
    assert_eq!(tail, (0..5000).map(|i| format!("r{i}")).collect::<Vec<_>>(), "one key: in order");
}
