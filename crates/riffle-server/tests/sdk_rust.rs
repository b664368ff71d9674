//! Drives the real `riffle` binary with the AWS SDK for Rust (`aws-sdk-kinesis`).

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamMode, StreamModeDetails};

mod common;

use common::Server;

#[tokio::test]
async fn create_put_get_roundtrip() {
    let server = Server::start(&["--limits", "off"]);
    let kinesis = server.client("AKIDTEST", "secret");
    kinesis.create_stream().stream_name("rs").shard_count(3).send().await.unwrap();
    let d = kinesis.describe_stream().stream_name("rs").send().await.unwrap();
    let desc = d.stream_description().unwrap();
    assert_eq!(desc.shards().len(), 3);
    assert_eq!(desc.shards()[0].hash_key_range().unwrap().ending_hash_key(), "113427455640312821154458202477256070484");
    assert_eq!(desc.stream_arn(), "arn:aws:kinesis:us-east-1:000000000000:stream/rs");

    let put = kinesis
        .put_record()
        .stream_name("rs")
        .partition_key("a")
        .data(Blob::new(&b"\x00\x01binary\xff"[..]))
        .send()
        .await
        .unwrap();
    // md5("a") = 0cc175b9... which is below 2^128/3, so shard 0.
    assert_eq!(put.shard_id(), "shardId-000000000000");
    assert_eq!(put.sequence_number().len(), 56);

    let it = kinesis
        .get_shard_iterator()
        .stream_name("rs")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(put.sequence_number())
        .send()
        .await
        .unwrap();
    let got = kinesis.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(got.records().len(), 1);
    let r = &got.records()[0];
    assert_eq!(r.data().as_ref(), b"\x00\x01binary\xff");
    assert_eq!(r.sequence_number(), put.sequence_number());
    assert_eq!(r.partition_key(), Some("a"));
    assert!(got.next_shard_iterator().is_some());
    assert_eq!(got.millis_behind_latest(), Some(0));
}

#[tokio::test]
async fn put_records_spread_and_typed_errors() {
    let server = Server::start(&["--limits", "off"]);
    let kinesis = server.client("AKIDTEST", "secret");
    kinesis
        .create_stream()
        .stream_name("od")
        .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap())
        .send()
        .await
        .unwrap();
    let entries: Vec<_> = (0..500)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("key-{i}"))
                .data(Blob::new(vec![i as u8; 10]))
                .build()
                .unwrap()
        })
        .collect();
    let out = kinesis.put_records().stream_name("od").set_records(Some(entries)).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    assert_eq!(out.records().len(), 500);
    let mut per_shard = std::collections::HashMap::new();
    for r in out.records() {
        *per_shard.entry(r.shard_id().unwrap().to_string()).or_insert(0) += 1;
    }
    assert_eq!(per_shard.len(), 4, "ON_DEMAND starts with 4 shards");
    assert!(per_shard.values().all(|n| (80..=170).contains(n)), "uneven spread: {per_shard:?}");

    let err = kinesis.describe_stream_summary().stream_name("missing").send().await.unwrap_err();
    let svc = err.into_service_error();
    assert!(svc.is_resource_not_found_exception(), "{svc:?}");
    assert_eq!(svc.meta().message(), Some("Stream missing under account 000000000000 not found."));

    let err = kinesis.create_stream().stream_name("od").shard_count(1).send().await.unwrap_err();
    assert!(err.into_service_error().is_resource_in_use_exception());

    let err = kinesis.get_records().shard_iterator("not-an-iterator").send().await.unwrap_err();
    let svc = err.into_service_error();
    assert!(svc.is_invalid_argument_exception(), "{svc:?}");
    assert_eq!(svc.meta().message(), Some("Invalid ShardIterator."));

    let limits = kinesis.describe_limits().send().await.unwrap();
    assert_eq!(limits.open_shard_count(), 4);
    assert_eq!(limits.on_demand_stream_count(), 1);
}
