//! Codec benches: the cost of turning PutRecords bodies into typed input and GetRecords and
//! PutRecords outputs into bytes, with no network and no storage. `cargo bench -p riffle-wire`.
//! The numbers are recorded in BENCHMARKS.md.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use riffle_types::seq::SequenceNumber;
use riffle_wire::model::kinesis::{
    GetRecords, GetRecordsOutput, PutRecords, PutRecordsOutput, PutRecordsResultEntry, Record,
};
use riffle_wire::types::{Blob, Text, Timestamp};
use riffle_wire::{Codec, Operation, schema};
use serde_json::{Value, json};

const N: usize = 500;
const SIZE: usize = 1024;

fn data(i: usize) -> Vec<u8> {
    (0..SIZE).map(|j| (i * 31 + j * 7) as u8).collect()
}

fn put_records_json() -> Vec<u8> {
    let records: Vec<Value> =
        (0..N).map(|i| json!({"Data": STANDARD.encode(data(i)), "PartitionKey": format!("key-{i}")})).collect();
    serde_json::to_vec(&json!({"StreamName": "bench", "Records": records})).unwrap()
}

fn put_records_cbor() -> Vec<u8> {
    use ciborium::Value as C;
    let records = (0..N)
        .map(|i| {
            C::Map(vec![
                (C::Text("Data".into()), C::Bytes(data(i))),
                (C::Text("PartitionKey".into()), C::Text(format!("key-{i}"))),
            ])
        })
        .collect();
    let body = C::Map(vec![
        (C::Text("StreamName".into()), C::Text("bench".into())),
        (C::Text("Records".into()), C::Array(records)),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&body, &mut out).unwrap();
    out
}

fn seq() -> SequenceNumber {
    SequenceNumber { shard_created_secs: 1_795_000_000, shard_index: 3, counter: 1_000, record_secs: 1_795_000_100 }
}

fn get_records_output() -> GetRecordsOutput {
    let seqs = seq().render_consecutive(N);
    GetRecordsOutput {
        records: seqs
            .into_iter()
            .enumerate()
            .map(|(i, s)| Record {
                sequence_number: s,
                approximate_arrival_timestamp: Timestamp(1_795_000_100_123),
                data: Blob(Bytes::from(data(i))),
                partition_key: Text(Bytes::from(format!("key-{i}"))),
                encryption_type: None,
            })
            .collect(),
        next_shard_iterator: Some("A".repeat(200)),
        millis_behind_latest: 0,
        child_shards: None,
    }
}

fn decode(c: &mut Criterion) {
    let json_body = put_records_json();
    let cbor_body = put_records_cbor();
    let mut g = c.benchmark_group("PutRecords decode, 500 x 1 KiB");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("json fast path", |b| b.iter(|| PutRecords::fast_json(&json_body).expect("fast")));
    g.bench_function("json generic path", |b| {
        b.iter(|| {
            let mut v = Codec::Json.decode(&json_body).unwrap();
            schema::check(PutRecords::MEMBERS, &mut v).unwrap();
            serde_json::from_value::<<PutRecords as Operation>::Input>(v).unwrap()
        })
    });
    g.bench_function("cbor generic path", |b| {
        b.iter(|| {
            let mut v = Codec::Cbor.decode(&cbor_body).unwrap();
            schema::check(PutRecords::MEMBERS, &mut v).unwrap();
            serde_json::from_value::<<PutRecords as Operation>::Input>(v).unwrap()
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let out = get_records_output();
    let mut g = c.benchmark_group("GetRecords reply, 500 x 1 KiB");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("json direct writer", |b| b.iter(|| GetRecords::encode(&out, Codec::Json)));
    g.bench_function("json serde", |b| b.iter(|| Codec::Json.encode(&out)));
    g.bench_function("cbor serde", |b| b.iter(|| GetRecords::encode(&out, Codec::Cbor)));
    g.finish();

    let mut g = c.benchmark_group("PutRecords reply, 500 records");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("sequence numbers, consecutive rendering", |b| b.iter(|| seq().render_consecutive(N)));
    g.bench_function("sequence numbers, one by one", |b| {
        b.iter(|| (0..N as u64).map(|i| SequenceNumber { counter: 1_000 + i, ..seq() }.to_string()).collect::<Vec<_>>())
    });
    g.bench_function("json encode", |b| {
        b.iter_batched(
            || PutRecordsOutput {
                failed_record_count: 0,
                records: seq()
                    .render_consecutive(N)
                    .into_iter()
                    .map(|s| PutRecordsResultEntry {
                        sequence_number: Some(s),
                        shard_id: Some("shardId-000000000003".into()),
                        error_code: None,
                        error_message: None,
                    })
                    .collect(),
                encryption_type: None,
            },
            |out| PutRecords::encode(&out, Codec::Json),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
