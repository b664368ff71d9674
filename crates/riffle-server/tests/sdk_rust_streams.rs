//! The complete Data Streams API through the AWS SDK for Rust: resharding, throughput limits,
//! encryption at rest, enhanced monitoring, stream modes, account settings, resource
//! policies, and SigV4 verification of the SDK's own signatures.

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    EncryptionType, MetricsName, MinimumThroughputBillingCommitmentInput,
    MinimumThroughputBillingCommitmentInputStatus, PutRecordsRequestEntry, ScalingType, ShardFilter, ShardFilterType,
    ShardIteratorType, StreamMode, StreamModeDetails,
};

mod common;

use common::Server;

#[tokio::test]
async fn resharding_with_lineage_and_child_shards() {
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("r").shard_count(2).send().await.unwrap();
    let put = k.put_record().stream_name("r").partition_key("a").data(Blob::new("before")).send().await.unwrap();
    let parent = put.shard_id().to_string();
    // Split whichever shard took the record at its middle.
    let shards = k.list_shards().stream_name("r").send().await.unwrap();
    let target = shards.shards().iter().find(|s| s.shard_id() == parent).unwrap();
    let (lo, hi): (u128, u128) = (
        target.hash_key_range().unwrap().starting_hash_key().parse().unwrap(),
        target.hash_key_range().unwrap().ending_hash_key().parse().unwrap(),
    );
    k.split_shard()
        .stream_name("r")
        .shard_to_split(&parent)
        .new_starting_hash_key((lo + (hi - lo) / 2).to_string())
        .send()
        .await
        .unwrap();
    let it = k
        .get_shard_iterator()
        .stream_name("r")
        .shard_id(&parent)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let mut out = k.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(out.records()[0].data().as_ref(), b"before");
    if let Some(next) = out.next_shard_iterator() {
        out = k.get_records().shard_iterator(next).send().await.unwrap();
    }
    assert!(out.next_shard_iterator().is_none());
    let children = out.child_shards();
    assert_eq!(children.len(), 2);
    assert!(children.iter().all(|c| c.parent_shards() == [parent.clone()]));

    let latest = k
        .list_shards()
        .stream_name("r")
        .shard_filter(ShardFilter::builder().r#type(ShardFilterType::AtLatest).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(latest.shards().len(), 3);
    let scaled = k
        .update_shard_count()
        .stream_name("r")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!((scaled.current_shard_count(), scaled.target_shard_count()), (Some(3), Some(4)));
    let summary = k.describe_stream_summary().stream_name("r").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().open_shard_count(), 4);
}

#[tokio::test]
async fn limits_encryption_monitoring_modes_and_policies() {
    let server = Server::start(&[]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("e").shard_count(1).send().await.unwrap();

    // 1,500 records at once to one shard: the write limit refuses some, per record.
    let mut failed = 0;
    for _ in 0..3 {
        let entries: Vec<_> = (0..500)
            .map(|i| {
                PutRecordsRequestEntry::builder().partition_key(format!("k{i}")).data(Blob::new("x")).build().unwrap()
            })
            .collect();
        let out = k.put_records().stream_name("e").set_records(Some(entries)).send().await.unwrap();
        failed += out.failed_record_count().unwrap_or(0);
        for r in out.records().iter().filter(|r| r.error_code().is_some()) {
            assert_eq!(r.error_code(), Some("ProvisionedThroughputExceededException"));
        }
    }
    assert!(failed > 0, "the shard's 1,000 records/s limit must refuse some of 1,500");

    k.start_stream_encryption()
        .stream_name("e")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    let desc = k.describe_stream().stream_name("e").send().await.unwrap();
    assert_eq!(desc.stream_description().unwrap().encryption_type(), Some(&EncryptionType::Kms));
    tokio::time::sleep(Duration::from_millis(1100)).await; // let the write budget refill
    let put = k.put_record().stream_name("e").partition_key("k").data(Blob::new("sealed")).send().await.unwrap();
    assert_eq!(put.encryption_type(), Some(&EncryptionType::Kms));
    let log: Vec<u8> = std::fs::read_dir(server.dir.path().join("data/log"))
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!log.windows(6).any(|w| w == b"sealed"), "encrypted data is not plaintext on disk");

    let mon =
        k.enable_enhanced_monitoring().stream_name("e").shard_level_metrics(MetricsName::All).send().await.unwrap();
    assert_eq!(mon.desired_shard_level_metrics().len(), 7);

    let arn = desc.stream_description().unwrap().stream_arn().to_string();
    k.update_stream_mode()
        .stream_arn(&arn)
        .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap())
        .send()
        .await
        .unwrap();
    let s = k.describe_stream_summary().stream_arn(&arn).send().await.unwrap();
    assert_eq!(
        s.stream_description_summary().unwrap().stream_mode_details().unwrap().stream_mode(),
        &StreamMode::OnDemand
    );
    let settings = k
        .update_account_settings()
        .minimum_throughput_billing_commitment(
            MinimumThroughputBillingCommitmentInput::builder()
                .status(MinimumThroughputBillingCommitmentInputStatus::Enabled)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(settings.minimum_throughput_billing_commitment().unwrap().status().as_str(), "ENABLED");

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"123456789012"}},"Action":"kinesis:GetRecords","Resource":"{arn}"}}]}}"#
    );
    k.put_resource_policy().resource_arn(&arn).policy(&policy).send().await.unwrap();
    assert_eq!(k.get_resource_policy().resource_arn(&arn).send().await.unwrap().policy(), policy);
}

#[tokio::test]
async fn sigv4_verifies_the_sdk_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials.toml");
    std::fs::write(
        &creds,
        "[[credentials]]\naccess_key_id = \"AKIARUST\"\nsecret_access_key = \"rust-secret\"\naccount_id = \"123456789012\"\n",
    )
    .unwrap();
    let server = Server::start(&["--auth", "sigv4", "--credentials-file", creds.to_str().unwrap()]);
    let good = server.client("AKIARUST", "rust-secret");
    good.create_stream().stream_name("signed").shard_count(1).send().await.unwrap();
    let put = good.put_record().stream_name("signed").partition_key("k").data(Blob::new("ok")).send().await.unwrap();
    assert_eq!(put.shard_id(), "shardId-000000000000");
    let listed = good.list_streams().send().await.unwrap();
    assert_eq!(listed.stream_summaries()[0].stream_arn(), "arn:aws:kinesis:us-east-1:123456789012:stream/signed");

    let err = server.client("AKIARUST", "wrong").list_streams().send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidSignatureException"));
    let err = server.client("AKIAUNKNOWN", "x").list_streams().send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn subscribe_to_shard_with_the_rust_sdk() {
    use aws_sdk_kinesis::types::{StartingPosition, SubscribeToShardEventStream};
    let server = Server::start(&["--limits", "off"]);
    let k = server.client("AKID", "secret");
    k.create_stream().stream_name("efo").shard_count(1).send().await.unwrap();
    let arn = k.describe_stream_summary().stream_name("efo").send().await.unwrap();
    let arn = arn.stream_description_summary().unwrap().stream_arn().to_string();
    let consumer = k.register_stream_consumer().stream_arn(&arn).consumer_name("rust").send().await.unwrap();
    let consumer_arn = consumer.consumer().unwrap().consumer_arn().to_string();
    k.put_record().stream_name("efo").partition_key("k").data(Blob::new("before")).send().await.unwrap();
    let mut sub = k
        .subscribe_to_shard()
        .consumer_arn(&consumer_arn)
        .shard_id("shardId-000000000000")
        .starting_position(StartingPosition::builder().r#type(ShardIteratorType::TrimHorizon).build().unwrap())
        .send()
        .await
        .unwrap();
    let writer = k.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        writer.put_record().stream_name("efo").partition_key("k").data(Blob::new("pushed")).send().await.unwrap();
    });
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev =
            tokio::time::timeout(Duration::from_secs(10), sub.event_stream.recv()).await.unwrap().unwrap().unwrap();
        if let SubscribeToShardEventStream::SubscribeToShardEvent(e) = ev {
            assert!(!e.continuation_sequence_number().is_empty());
            seen.extend(e.records().iter().map(|r| r.data().as_ref().to_vec()));
        }
    }
    assert_eq!(seen, vec![b"before".to_vec(), b"pushed".to_vec()]);
}
