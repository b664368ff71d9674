//! `riffle agent` against a real server: real files, appended, rotated by rename and by
//! copy-then-truncate, and an agent restart; every line must arrive exactly once, in order
//! per shard, and the data-processing options must run.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use common::Server;
use riffle_client::agg::deaggregate;

fn append(path: &Path, lines: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for i in lines {
        writeln!(f, "L{i} some log text").unwrap();
    }
}

fn start_agent(server: &Server, config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_riffle"))
        .args(["agent", "--poll-ms", "50", "--config"])
        .arg(config)
        .env("RIFFLE_ENDPOINT", format!("http://127.0.0.1:{}", server.port))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn stop_agent(mut agent: Child) {
    let status = Command::new("kill").args(["-TERM", &agent.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = agent.try_wait().unwrap() {
            assert!(s.success(), "the agent exits cleanly on SIGTERM: {s}");
            return;
        }
        assert!(Instant::now() < deadline, "the agent did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every user record of the stream, per shard in order.
async fn read_all(k: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = k
            .get_shard_iterator()
            .stream_name("logs")
            .shard_id(shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let mut it = it.shard_iterator().map(str::to_string);
        while let Some(i) = it {
            let r = k.get_records().shard_iterator(i).send().await.unwrap();
            if r.records().is_empty() {
                break;
            }
            for rec in r.records() {
                let data = bytes::Bytes::copy_from_slice(rec.data().as_ref());
                match deaggregate(&data) {
                    Some(us) => out.extend(
                        us.into_iter().map(|u| (shard.to_string(), String::from_utf8_lossy(&u.data).into_owned())),
                    ),
                    None => out.push((shard.to_string(), String::from_utf8_lossy(&data).into_owned())),
                }
            }
            it = r.next_shard_iterator().map(str::to_string);
        }
    }
    out
}

fn line_number(data: &str) -> Option<usize> {
    data.strip_prefix('L')?.split(' ').next()?.parse().ok()
}

async fn wait_lines(k: &Client, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = read_all(k).await.iter().filter(|(_, d)| line_number(d).is_some()).count();
        if got >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {got} of {n} lines arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_arrives_once_across_rotation_truncation_and_restart() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("logs").shard_count(2).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let app = logs.join("app.log");
    append(&app, 0..100);
    std::fs::write(logs.join("data-1.csv"), "1,ann\n2,bob\n").unwrap();
    let config = dir.path().join("agent.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "checkpointFile": dir.path().join("state/checkpoints.json"),
            "flows": [
                {"filePattern": app, "kinesisStream": "logs", "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 50},
                {"filePattern": logs.join("data-*.csv"), "kinesisStream": "logs", "initialPosition": "START_OF_FILE",
                 "partitionKeyOption": "DETERMINISTIC",
                 "dataProcessingOptions": [{"optionName": "CSVTOJSON", "customFieldNames": ["id", "name"]}]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let agent = start_agent(&server, &config);
    wait_lines(&k, 100).await;
    append(&app, 100..200);
    wait_lines(&k, 200).await;
    // Rotation by rename: the old file gets a few late lines, the new one takes over.
    std::fs::rename(&app, logs.join("app.log.1")).unwrap();
    append(&logs.join("app.log.1"), 200..210);
    append(&app, 210..300);
    wait_lines(&k, 300).await;
    // Rotation by copy-then-truncate.
    std::fs::copy(&app, logs.join("app.log.2")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&app).unwrap().set_len(0).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    append(&app, 300..400);
    wait_lines(&k, 400).await;
    // Restart: what is written while the agent is down is sent once it is back, and nothing
    // sent before is sent again.
    stop_agent(agent);
    assert!(dir.path().join("state/checkpoints.json").exists());
    append(&app, 400..500);
    let agent = start_agent(&server, &config);
    wait_lines(&k, 500).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_agent(agent);

    let all = read_all(&k).await;
    let mut count: HashMap<usize, usize> = HashMap::new();
    // Order holds per file: lines 0..210 went to the first app.log (renamed app.log.1), the
    // rest to its successor; two files are read independently.
    let mut last: HashMap<(String, bool), usize> = HashMap::new();
    for (shard, data) in &all {
        let Some(n) = line_number(data) else { continue };
        *count.entry(n).or_default() += 1;
        let file = (shard.clone(), n < 210);
        assert!(last.get(&file).is_none_or(|p| *p < n), "line {n} after line {:?} on {shard}", last.get(&file));
        last.insert(file, n);
    }
    for n in 0..500 {
        assert_eq!(count.get(&n), Some(&1), "line {n} arrived {:?} times", count.get(&n));
    }
    assert_eq!(count.len(), 500);
    let csv: Vec<&String> = all.iter().map(|(_, d)| d).filter(|d| d.starts_with('{')).collect();
    assert_eq!(csv.len(), 2, "{csv:?}");
    assert!(csv.contains(&&r#"{"id":"1","name":"ann"}"#.to_string()));
    assert!(csv.contains(&&r#"{"id":"2","name":"bob"}"#.to_string()));
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (config, expect) in [
        (r#"{"flows": [{"filePattern": "/tmp/x", "deliveryStream": "d"}]}"#, "Firehose"),
        (
            r#"{"flows": [{"filePattern": "/tmp/x", "kinesisStream": "s", "partitionKeyOption": "SOMETIMES"}]}"#,
            "partitionKeyOption",
        ),
        (r#"{"flows": []}"#, "no flows"),
        (
            r#"{"flows": [{"filePattern": "/tmp/x", "kinesisStream": "s", "dataProcessingOptions": [{"optionName": "LOGTOJSON", "logFormat": "NOPE"}]}]}"#,
            "logFormat",
        ),
    ] {
        let path = dir.path().join("agent.json");
        std::fs::write(&path, config).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_riffle"))
            .args(["agent", "--endpoint", "http://127.0.0.1:9", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{expect}: {err}");
    }
}
