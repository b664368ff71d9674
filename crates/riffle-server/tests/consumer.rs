//! The KCL-style consumer of `riffle-client` against a real server, with leases kept in the
//! server's lease extension: takeover from the last checkpoint after a worker dies, balancing
//! between workers, parents before children, and enhanced fan-out retrieval.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use common::Server;
use riffle_client::consumer::{Checkpointer, ConsumerConfig, ConsumerRecord, RecordProcessor, Retrieval, Worker};
use riffle_client::leases::{LeaseStore, RiffleLeaseStore, SHARD_END};
use riffle_client::{Endpoint, Error};

/// One record a processor saw: worker, shard, sequence number, data.
type Sighting = (&'static str, String, String, String);

/// Every record the processors saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Sighting>>>);

impl Seen {
    fn all(&self) -> Vec<Sighting> {
        self.0.lock().unwrap().clone()
    }
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

struct Recorder {
    worker: &'static str,
    seen: Seen,
}

impl RecordProcessor for Recorder {
    async fn process_records(&mut self, records: Vec<ConsumerRecord>, checkpointer: &Checkpointer) {
        {
            let mut seen = self.seen.0.lock().unwrap();
            for r in &records {
                seen.push((
                    self.worker,
                    r.shard_id.clone(),
                    r.sequence_number.clone(),
                    String::from_utf8_lossy(&r.data).into(),
                ));
            }
        }
        let _ = checkpointer.checkpoint().await;
    }
}

fn endpoint(server: &Server) -> Endpoint {
    Endpoint {
        url: Some(format!("http://127.0.0.1:{}", server.port)),
        region: "us-east-1".into(),
        access_key_id: "AKID".into(),
        secret_access_key: "secret".into(),
        session_token: None,
    }
}

fn config(stream: &str, worker: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new("app", stream);
    c.worker_id = worker.into();
    c.lease_duration = Duration::from_millis(1500);
    c.retrieval = Retrieval::Polling { idle: Duration::from_millis(50), max_records: 100 };
    c
}

async fn put(k: &Client, stream: &str, from: usize, to: usize) {
    for chunk in (from..to).collect::<Vec<_>>().chunks(500) {
        let entries = chunk
            .iter()
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("key-{}", i % 37))
                    .data(Blob::new(format!("r{i}")))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = k.put_records().stream_name(stream).set_records(Some(entries)).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
}

async fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn spawn_worker(
    server: &Server,
    stream: &str,
    name: &'static str,
    seen: &Seen,
) -> tokio::task::JoinHandle<Result<(), Error>> {
    let k = server.client("AKID", "secret");
    let store = RiffleLeaseStore::new(&endpoint(server), stream, "app").unwrap();
    let seen = seen.clone();
    let worker =
        Worker::new(k, store, config(stream, name), move |_: &str| Recorder { worker: name, seen: seen.clone() });
    tokio::spawn(worker.run_until(std::future::pending::<()>()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_taken_over_from_its_last_checkpoint() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("kill").shard_count(2).send().await.unwrap();
    put(&k, "kill", 0, 3000).await;
    let seen = Seen::default();
    let a = spawn_worker(&server, "kill", "a", &seen);
    wait_for("worker a to get going", Duration::from_secs(20), || seen.count() >= 600).await;
    a.abort(); // like kill -9: no shutdown, no release; its leases must expire
    let _ = a.await;
    let store = RiffleLeaseStore::new(&endpoint(&server), "kill", "app").unwrap();
    let at_kill = store.list().await.unwrap();
    assert!(at_kill.iter().all(|l| l.owner.as_deref() == Some("a")), "{at_kill:?}");
    let by_a = seen.count();
    assert!(by_a < 3000, "a was stopped mid-stream");
    let b = spawn_worker(&server, "kill", "b", &seen);
    wait_for("worker b to finish the stream", Duration::from_secs(30), || {
        let all = seen.all();
        (0..3000).all(|i| all.iter().any(|r| r.3 == format!("r{i}")))
    })
    .await;
    let all = seen.all();
    for lease in &at_kill {
        let checkpoint = lease.checkpoint.clone().unwrap();
        let first_b = all.iter().find(|r| r.0 == "b" && r.1 == lease.key);
        // b starts right after a's last checkpoint on the shard: the record after it in a's
        // view, or the first record at all if a had not checkpointed there.
        let a_shard: Vec<_> = all.iter().filter(|r| r.0 == "a" && r.1 == lease.key).collect();
        if let (Some(first_b), Some(pos)) = (first_b, a_shard.iter().position(|r| r.2 == checkpoint)) {
            if let Some(next_of_a) = a_shard.get(pos + 1) {
                assert_eq!(first_b.2, next_of_a.2, "b redelivers from the checkpoint on {}", lease.key);
            } else {
                assert!(first_b.2 > checkpoint, "b starts after the checkpoint on {}", lease.key);
            }
        }
    }
    let leases = store.list().await.unwrap();
    assert!(leases.iter().all(|l| l.owner.as_deref() == Some("b")), "b took over every lease: {leases:?}");
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_the_shards() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("share").shard_count(4).send().await.unwrap();
    let seen = Seen::default();
    let a = spawn_worker(&server, "share", "a", &seen);
    let store = RiffleLeaseStore::new(&endpoint(&server), "share", "app").unwrap();
    let owners = |leases: &[riffle_client::leases::Lease], w: &str| {
        leases.iter().filter(|l| l.owner.as_deref() == Some(w)).count()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let leases = store.list().await.unwrap();
        if leases.len() == 4 && owners(&leases, "a") == 4 {
            break;
        }
        assert!(Instant::now() < deadline, "a never took all four: {leases:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = spawn_worker(&server, "share", "b", &seen);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let leases = store.list().await.unwrap();
        if owners(&leases, "a") == 2 && owners(&leases, "b") == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the shards were never shared 2/2: {leases:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Everything put now is processed exactly by the shard's holder.
    put(&k, "share", 0, 400).await;
    wait_for("all records", Duration::from_secs(20), || seen.count() >= 400).await;
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parents_are_finished_before_children_and_fan_out_works() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("lineage").shard_count(1).send().await.unwrap();
    put(&k, "lineage", 0, 300).await;
    k.split_shard()
        .stream_name("lineage")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((u128::MAX / 2).to_string())
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let s = k.describe_stream_summary().stream_name("lineage").send().await.unwrap();
        if s.stream_description_summary().unwrap().stream_status().as_str() == "ACTIVE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    put(&k, "lineage", 300, 600).await;
    let seen = Seen::default();
    let store = RiffleLeaseStore::new(&endpoint(&server), "lineage", "app").unwrap();
    let mut c = config("lineage", "efo");
    c.retrieval = Retrieval::FanOut { consumer_name: "lineage-app".into() };
    let s2 = seen.clone();
    let worker = Worker::new(k.clone(), store, c, move |_: &str| Recorder { worker: "efo", seen: s2.clone() });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let w = tokio::spawn(worker.run_until(stop_rx));
    wait_for("all 600 records", Duration::from_secs(30), || seen.count() >= 600).await;
    let all = seen.all();
    let last_parent = all.iter().rposition(|r| r.1 == "shardId-000000000000").unwrap();
    let first_child = all.iter().position(|r| r.1 != "shardId-000000000000").unwrap();
    assert!(last_parent < first_child, "every parent record comes before any child record");
    assert_eq!(all.iter().filter(|r| r.1 == "shardId-000000000000").count(), 300);
    let _ = stop_tx.send(());
    w.await.unwrap().unwrap();
    // A clean shutdown releases the leases; the parent's is at SHARD_END.
    let leases = RiffleLeaseStore::new(&endpoint(&server), "lineage", "app").unwrap().list().await.unwrap();
    assert!(leases.iter().all(|l| l.owner.is_none()), "{leases:?}");
    let parent = leases.iter().find(|l| l.key == "shardId-000000000000").unwrap();
    assert_eq!(parent.checkpoint.as_deref(), Some(SHARD_END));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_extension_refuses_stale_changes_and_unknown_streams() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("ext").shard_count(1).send().await.unwrap();
    let store = RiffleLeaseStore::new(&endpoint(&server), "ext", "app").unwrap();
    assert!(store.create("a", &[], "TRIM_HORIZON").await.unwrap().is_some());
    assert!(store.create("a", &[], "TRIM_HORIZON").await.unwrap().is_none(), "exists");
    let l = store.update("a", 0, Some("w"), Some(("42", Some(1)))).await.unwrap().unwrap();
    assert_eq!((l.counter, l.checkpoint.as_deref(), l.checkpoint_sub), (1, Some("42"), Some(1)));
    assert!(store.update("a", 0, Some("x"), None).await.unwrap().is_none(), "stale counter");
    let other = RiffleLeaseStore::new(&endpoint(&server), "ext", "other-app").unwrap();
    assert!(other.list().await.unwrap().is_empty(), "applications are separate");
    let missing = RiffleLeaseStore::new(&endpoint(&server), "nope", "app").unwrap();
    match missing.list().await {
        Err(Error::Service { code, .. }) => assert_eq!(code, "ResourceNotFoundException"),
        other => panic!("{other:?}"),
    }
}
