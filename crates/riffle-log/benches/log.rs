//! Log benches: appending PutRecords-sized batches (one group commit each) and reading them
//! back from the tip cache or from storage. `cargo bench -p riffle-log`; the numbers are
//! recorded in BENCHMARKS.md. `sync always` here measures this machine's fsync, so it is the
//! slowest and noisiest line.

use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use riffle_log::FsStorage;
use riffle_log::{Log, LogOptions, RecordIn, ShardAppend, ShardKey, SyncMode};
use riffle_types::time::SystemClock;

const N: usize = 500;
const SIZE: usize = 1024;

fn batch(shard: u32) -> ShardAppend {
    let data = Bytes::from(vec![7u8; SIZE * N]);
    ShardAppend {
        key: ShardKey { stream: 1, shard },
        records: (0..N)
            .map(|i| RecordIn {
                partition_key: Bytes::from(format!("key-{i}")),
                data: data.slice(i * SIZE..(i + 1) * SIZE),
            })
            .collect(),
        label: None,
    }
}

fn open(dir: &tempfile::TempDir, sync: SyncMode, tip_cache_bytes: usize) -> Log {
    let mut o = LogOptions::new(Arc::new(SystemClock::with_offset(0)));
    o.sync = sync;
    o.tip_cache_bytes = tip_cache_bytes;
    Log::open(Arc::new(FsStorage::new(dir.path()).unwrap()), o).unwrap()
}

fn append(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut g = c.benchmark_group("append 500 x 1 KiB");
    g.throughput(Throughput::Elements(N as u64));
    for (name, sync) in [("sync never", SyncMode::Never), ("sync always", SyncMode::Always)] {
        let dir = tempfile::tempdir().unwrap();
        let log = open(&dir, sync, 64 << 20);
        g.bench_function(name, |b| b.iter(|| rt.block_on(log.append(vec![batch(0)])).unwrap()));
    }
    // Eight concurrent requests: group commit lets one fsync cover them.
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(open(&dir, SyncMode::Always, 64 << 20));
    g.throughput(Throughput::Elements(8 * N as u64));
    g.bench_function("sync always, 8 concurrent requests", |b| {
        b.iter(|| {
            rt.block_on(async {
                let calls: Vec<_> = (0..8)
                    .map(|s| {
                        tokio::spawn({
                            let log = log.clone();
                            async move { log.append(vec![batch(s % 4)]).await.unwrap() }
                        })
                    })
                    .collect();
                for c in calls {
                    c.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn read(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut g = c.benchmark_group("read 500 x 1 KiB");
    g.throughput(Throughput::Elements(N as u64));
    for (name, cache) in [("from the tip cache", 64 << 20), ("from storage (page cache)", 0)] {
        let dir = tempfile::tempdir().unwrap();
        let log = open(&dir, SyncMode::Never, cache);
        for _ in 0..20 {
            rt.block_on(log.append(vec![batch(0)])).unwrap();
        }
        let key = ShardKey { stream: 1, shard: 0 };
        g.bench_function(name, |b| {
            let mut from = 1u64;
            b.iter(|| {
                let got = log.read(key, from, 0, N, 10 << 20).unwrap();
                from = if from > 9_000 { 1 } else { from + N as u64 };
                got
            })
        });
    }
    g.finish();
}

criterion_group!(benches, append, read);
criterion_main!(benches);
