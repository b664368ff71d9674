//! Unit, crash and retention tests of the log, on the fault-injecting storage.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use rand::{SeedableRng, rngs::StdRng};
use riffle_types::time::ManualClock;

use crate::faulty::FaultyStorage;
use crate::*;

fn opts(clock: Arc<ManualClock>, sync: SyncMode) -> LogOptions {
    LogOptions { sync, segment_bytes: 64 << 10, segment_max_age_ms: 3_600_000, tip_cache_bytes: 0, clock }
}

fn rec(pk: &str, data: &[u8]) -> RecordIn {
    RecordIn { partition_key: Bytes::copy_from_slice(pk.as_bytes()), data: Bytes::copy_from_slice(data) }
}

fn key(stream: u64, shard: u32) -> ShardKey {
    ShardKey { stream, shard }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn append_then_read_assigns_dense_counters() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let log = Log::open(Arc::new(FaultyStorage::new()), opts(clock.clone(), SyncMode::Always)).unwrap();
    let rt = rt();
    let a = rt
        .block_on(log.append(vec![
            ShardAppend { key: key(1, 0), records: vec![rec("a", b"1"), rec("b", b"2")], label: None },
            ShardAppend { key: key(1, 1), records: vec![rec("c", b"3")], label: None },
        ]))
        .unwrap();
    assert_eq!(a[0].first_counter, 1);
    assert_eq!(a[1].first_counter, 1);
    clock.advance(-500); // the clock steps back; arrival times must not
    let b = rt
        .block_on(log.append(vec![ShardAppend { key: key(1, 0), records: vec![rec("d", b"4")], label: None }]))
        .unwrap();
    assert_eq!(b[0].first_counter, 3);
    assert_eq!(b[0].arrival_ms, 1_000_000);
    let got = log.read(key(1, 0), 0, 0, 100, 1 << 20).unwrap();
    let data: Vec<&[u8]> = got.iter().map(|r| &r.data[..]).collect();
    assert_eq!(data, vec![b"1" as &[u8], b"2", b"4"]);
    assert_eq!(got.iter().map(|r| r.counter).collect::<Vec<_>>(), vec![1, 2, 3]);
    let from2 = log.read(key(1, 0), 2, 0, 1, 1 << 20).unwrap();
    assert_eq!(from2.len(), 1);
    assert_eq!(from2[0].counter, 2);
    assert_eq!(log.tip(key(1, 0)).unwrap().next_counter, 4);
    assert!(log.tip(key(9, 9)).is_none());
}

#[test]
fn restart_continues_counters_and_keeps_data() {
    let storage = FaultyStorage::new();
    let clock = Arc::new(ManualClock::new(5_000));
    let rt = rt();
    {
        let log = Log::open(Arc::new(storage.clone()), opts(clock.clone(), SyncMode::Always)).unwrap();
        for i in 0..200u32 {
            let data = vec![i as u8; 1000];
            rt.block_on(log.append(vec![ShardAppend {
                key: key(7, i % 3),
                records: vec![rec("k", &data)],
                label: None,
            }]))
            .unwrap();
        }
        assert!(log.segment_count() > 1, "64 KiB segments should have rolled");
    }
    let log = Log::open(Arc::new(storage), opts(clock, SyncMode::Always)).unwrap();
    let all = log.read(key(7, 0), 0, 0, 10_000, usize::MAX).unwrap();
    assert_eq!(all.len(), 67);
    assert!(all.windows(2).all(|w| w[1].counter == w[0].counter + 1));
    let next = rt
        .block_on(log.append(vec![ShardAppend { key: key(7, 0), records: vec![rec("k", b"x")], label: None }]))
        .unwrap();
    assert_eq!(next[0].first_counter, 68);
}

#[test]
fn torn_tail_is_cut_at_recovery() {
    let storage = FaultyStorage::new();
    let clock = Arc::new(ManualClock::new(5_000));
    let rt = rt();
    {
        let log = Log::open(Arc::new(storage.clone()), opts(clock.clone(), SyncMode::Always)).unwrap();
        rt.block_on(log.append(vec![ShardAppend { key: key(1, 0), records: vec![rec("k", b"durable")], label: None }]))
            .unwrap();
    }
    // Append half an entry by hand, as a crash in the middle of a write would leave it.
    let f = storage.open(&segment_name(0)).unwrap();
    let mut buf = Vec::new();
    let s = format::begin_entry(&mut buf);
    format::put_batch_header(
        &mut buf,
        &format::BatchHeader { key: key(1, 0), first_counter: 2, arrival_ms: 6_000, count: 1 },
        None,
    );
    format::put_record(&mut buf, b"k", b"torn");
    format::finish_entry(&mut buf, s);
    let before = f.len();
    f.append(&buf[..buf.len() - 3]).unwrap();
    let log = Log::open(Arc::new(storage.clone()), opts(clock, SyncMode::Always)).unwrap();
    assert_eq!(storage.open(&segment_name(0)).unwrap().len(), before, "torn bytes cut");
    let all = log.read(key(1, 0), 0, 0, 100, usize::MAX).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(&all[0].data[..], b"durable");
    assert_eq!(log.tip(key(1, 0)).unwrap().next_counter, 2);
}

/// Runs concurrent producers, cuts the power mid-flight, reopens, and returns
/// (acknowledged records, records lost among them).
fn power_loss_round(sync: SyncMode, seed: u64) -> (usize, usize) {
    let storage = FaultyStorage::new();
    let clock = Arc::new(ManualClock::new(10_000));
    let mut rng = StdRng::seed_from_u64(seed);
    let mut acked: HashMap<(ShardKey, u64), Vec<u8>> = HashMap::new();
    let mut reissued = 0;
    for round in 0..4u64 {
        let log = Arc::new(Log::open(Arc::new(storage.clone()), opts(clock.clone(), sync)).unwrap());
        let rt = rt();
        let results = rt.block_on(async {
            let mut tasks = Vec::new();
            for p in 0..8u64 {
                let log = log.clone();
                tasks.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    for i in 0..40u64 {
                        let k = key(1, (p % 4) as u32);
                        let payload = format!("round{round}-producer{p}-record{i}").into_bytes();
                        let r = log
                            .append(vec![ShardAppend { key: k, records: vec![rec("pk", &payload)], label: None }])
                            .await;
                        if let Ok(a) = r {
                            mine.push((k, a[0].first_counter, payload));
                        }
                    }
                    mine
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        });
        for (k, c, p) in results {
            // A counter handed out twice means the first holder was lost by the power cut.
            if acked.insert((k, c), p).is_some() {
                reissued += 1;
            }
        }
        drop(rt);
        log.close();
        storage.power_loss(&mut rng);
    }
    let log = Log::open(Arc::new(storage), opts(clock, sync)).unwrap();
    let mut lost = 0;
    for ((k, c), payload) in &acked {
        let got = log.read(*k, *c, 0, 1, usize::MAX).unwrap();
        if got.first().is_none_or(|r| r.counter != *c || r.data[..] != payload[..]) {
            lost += 1;
        }
    }
    (acked.len() + reissued, lost + reissued)
}

#[test]
fn power_loss_keeps_every_acknowledged_record() {
    for seed in 0..5 {
        let (acked, lost) = power_loss_round(SyncMode::Always, seed);
        assert_eq!(acked, 4 * 8 * 40);
        assert_eq!(lost, 0, "seed {seed}: acknowledged records lost");
    }
}

#[test]
fn power_loss_test_can_fail_without_fsync() {
    // The same scenario without fsync must lose acknowledged data, or the test above proves nothing.
    let lost: usize = (0..5).map(|seed| power_loss_round(SyncMode::Never, seed).1).sum();
    assert!(lost > 0, "the fault injector dropped nothing");
}

#[test]
fn retention_deletes_expired_segments_and_counters_survive() {
    let storage = FaultyStorage::new();
    let clock = Arc::new(ManualClock::new(1_000_000));
    let rt = rt();
    let mut o = opts(clock.clone(), SyncMode::Always);
    o.segment_max_age_ms = 60_000;
    {
        let log = Log::open(Arc::new(storage.clone()), o.clone()).unwrap();
        for _ in 0..3 {
            rt.block_on(log.append(vec![ShardAppend { key: key(1, 0), records: vec![rec("k", b"old")], label: None }]))
                .unwrap();
            clock.advance(61_000);
        }
        rt.block_on(log.append(vec![ShardAppend { key: key(1, 0), records: vec![rec("k", b"new")], label: None }]))
            .unwrap();
        assert!(log.segment_count() >= 3);
        // Retention of 1 h: nothing has expired yet.
        assert_eq!(log.enforce_retention(&|_| Some(3_600_000)).unwrap(), 0);
        clock.advance(3_600_000 - 61_000 * 2);
        let deleted = log.enforce_retention(&|_| Some(3_600_000)).unwrap();
        assert!(deleted >= 1, "an expired segment should be deleted");
        let left = log.read(key(1, 0), 0, 0, 100, usize::MAX).unwrap();
        assert!(left.iter().all(|r| r.counter > 1), "the oldest record is gone");
        assert!(left.iter().any(|r| &r.data[..] == b"new"));
    }
    // After a restart the counter continues even though the oldest batches are gone.
    let log = Log::open(Arc::new(storage.clone()), o).unwrap();
    let next = rt
        .block_on(log.append(vec![ShardAppend { key: key(1, 0), records: vec![rec("k", b"z")], label: None }]))
        .unwrap();
    assert_eq!(next[0].first_counter, 5);
    // A deleted stream's segments go as a whole once nothing else lives in them.
    log.forget_stream(1);
    clock.advance(120_000);
    rt.block_on(log.append(vec![ShardAppend { key: key(2, 0), records: vec![rec("k", b"other")], label: None }]))
        .unwrap();
    let before = storage.file_names().len();
    log.enforce_retention(&|s| (s == 2).then_some(3_600_000)).unwrap();
    assert!(storage.file_names().len() < before);
}

#[test]
fn sealing_keeps_earlier_appends_and_refuses_later_ones() {
    let clock = Arc::new(ManualClock::new(1_000));
    let log = Arc::new(Log::open(Arc::new(FaultyStorage::new()), opts(clock, SyncMode::Always)).unwrap());
    let rt = rt();
    rt.block_on(async {
        let before = log.append(vec![ShardAppend {
            key: key(1, 0),
            records: vec![rec("a", b"1"), rec("b", b"2")],
            label: None,
        }]);
        let seal = log.seal(key(1, 0));
        let (before, seal) = tokio::join!(before, seal);
        assert_eq!(before.unwrap()[0].first_counter, 1);
        assert_eq!(seal.unwrap().unwrap().next_counter, 3);
        let after = log
            .append(vec![
                ShardAppend { key: key(1, 1), records: vec![rec("c", b"3")], label: None },
                ShardAppend { key: key(1, 0), records: vec![rec("d", b"4")], label: None },
            ])
            .await;
        assert!(matches!(after, Err(LogError::ShardSealed(k)) if k == key(1, 0)));
        // Nothing of the refused request was written, not even its other shard.
        assert!(log.tip(key(1, 1)).is_none());
        assert_eq!(log.seal(key(1, 5)).await.unwrap(), None, "a shard never written has no tip");
    });
    assert_eq!(log.read(key(1, 0), 0, 0, 100, usize::MAX).unwrap().len(), 2);
}

#[test]
fn reads_agree_with_and_without_the_tip_cache_across_segment_rolls() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let storage = FaultyStorage::new();
    // A budget that holds only the last few groups, and segments that roll every few groups,
    // so that one read mixes cached groups and groups read from storage.
    let mut o = opts(clock.clone(), SyncMode::Always);
    o.tip_cache_bytes = 12 << 10;
    o.segment_bytes = 16 << 10;
    let cached = Log::open(Arc::new(storage.clone()), o).unwrap();
    let rt = rt();
    let mut want = Vec::new();
    for i in 0..60u32 {
        let recs: Vec<RecordIn> =
            (0..(i % 5 + 1)).map(|j| rec(&format!("k{i}-{j}"), &vec![i as u8; 300 + j as usize])).collect();
        want.extend(recs.iter().map(|r| r.data.clone()));
        rt.block_on(cached.append(vec![ShardAppend { key: key(1, 0), records: recs, label: None }])).unwrap();
    }
    let from_cache: Vec<Bytes> =
        cached.read(key(1, 0), 0, 0, 10_000, 1 << 30).unwrap().into_iter().map(|r| r.data).collect();
    assert_eq!(from_cache, want);
    for from in [1u64, 37, 150, 178] {
        let got = cached.read(key(1, 0), from, 0, 7, 1 << 30).unwrap();
        assert_eq!(got.first().map(|r| r.counter), Some(from));
        assert_eq!(got.iter().map(|r| r.data.clone()).collect::<Vec<_>>(), want[from as usize - 1..][..got.len()]);
    }
    drop(cached);
    // The same bytes come back from storage alone after a restart.
    let cold = Log::open(Arc::new(storage), opts(clock, SyncMode::Always)).unwrap();
    let from_disk: Vec<Bytes> =
        cold.read(key(1, 0), 0, 0, 10_000, 1 << 30).unwrap().into_iter().map(|r| r.data).collect();
    assert_eq!(from_disk, want);
}
