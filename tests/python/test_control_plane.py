"""The remaining control-plane operations through boto3: enhanced monitoring, stream mode,
max record size, warm throughput, account settings; and an ON_DEMAND stream splitting a hot
shard on its own."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import create_stream, make_client, shard_id, stream_arn

ALL = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]


def test_enhanced_monitoring(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    out = k.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["OutgoingBytes", "IncomingBytes"])
    assert out["CurrentShardLevelMetrics"] == []
    assert out["DesiredShardLevelMetrics"] == ["IncomingBytes", "OutgoingBytes"]
    assert out["StreamARN"] == stream_arn(name)
    out = k.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert out["DesiredShardLevelMetrics"] == ALL
    out = k.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    assert out["DesiredShardLevelMetrics"] == ALL[1:]
    desc = k.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": ALL[1:]}]
    with pytest.raises(ClientError) as e:
        k.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["Bogus"])
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_max_record_size(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    big = b"x" * (2 * 1024 * 1024)
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName=name, PartitionKey="k", Data=big)
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    k.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=4096)
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 4096
    out = k.put_record(StreamName=name, PartitionKey="k", Data=big)
    it = k.get_shard_iterator(StreamName=name, ShardId=out["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=out["SequenceNumber"])["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"][0]["Data"] == big
    with pytest.raises(ClientError) as e:
        k.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=20000)
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_stream_mode_and_warm_throughput(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=2)
    arn = stream_arn(name)
    k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 2
    with pytest.raises(ClientError) as e:
        k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    # ON_DEMAND streams cannot be resharded by hand.
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "ValidationException"

    # Warm throughput needs the account's billing commitment.
    with pytest.raises(ClientError) as e:
        k.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=10)
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert k.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"
    s = k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})["MinimumThroughputBillingCommitment"]
    assert s["Status"] == "ENABLED" and "StartedAt" in s and "EarliestAllowedEndAt" in s
    out = k.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=10)
    assert out["WarmThroughput"]["TargetMiBps"] == 10
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["WarmThroughput"]["TargetMiBps"] == 10
    s = k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})["MinimumThroughputBillingCommitment"]
    assert s["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"

    k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    k.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 4


def test_hot_on_demand_stream_splits_itself(riffle_factory):
    srv = riffle_factory("--on-demand-check-ms", "300", "--on-demand-split-threshold", "0.05")
    k = make_client(srv.endpoint)
    name = "hot"
    k.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    recs = [{"PartitionKey": "k", "ExplicitHashKey": "0", "Data": b"x" * 100} for _ in range(500)]
    deadline = time.monotonic() + 20
    split = []
    while time.monotonic() < deadline and not split:
        k.put_records(StreamName=name, Records=recs)
        shards = k.list_shards(StreamName=name)["Shards"]
        split = [s for s in shards if s.get("ParentShardId") == shard_id(0)]
    assert len(split) == 2, "the hot shard 0 should have split into two children"
    shards = {s["ShardId"]: s for s in k.list_shards(StreamName=name)["Shards"]}
    assert "EndingSequenceNumber" in shards[shard_id(0)]["SequenceNumberRange"]
    # The cold shards stayed as they were.
    for i in (1, 2, 3):
        assert "EndingSequenceNumber" not in shards[shard_id(i)]["SequenceNumberRange"]
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] in ("ACTIVE", "UPDATING")
