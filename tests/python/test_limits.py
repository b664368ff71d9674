"""AWS's throughput limits through boto3 (--limits on, the default): per-shard write limits
answer per-record ProvisionedThroughputExceededException in PutRecords and an exception in
PutRecord; GetRecords is limited to 5 calls/s per shard; control-plane calls answer
LimitExceededException past their TPS. Every test bursts far past a one-second budget, so
nothing here depends on timing: the token buckets themselves are tested on a manual clock in
crates/riffle-streams/src/limits.rs."""

import pytest
from botocore.exceptions import ClientError

from conftest import create_stream, make_client, shard_id

ACCOUNT = "000000000000"


@pytest.fixture
def limited(riffle_factory):
    return riffle_factory("--limits", "on")


def test_put_records_over_1000_records_per_second_fail_per_record(limited):
    k = make_client(limited.endpoint)
    name = create_stream(k, shards=2)
    outs = []
    for _ in range(4):
        # Everything to shard 0 via ExplicitHashKey: 2,000 records in well under a second.
        recs = [{"PartitionKey": "k", "ExplicitHashKey": "0", "Data": b"x"} for _ in range(500)]
        outs.append(k.put_records(StreamName=name, Records=recs))
    failed = sum(o["FailedRecordCount"] for o in outs)
    assert failed > 0, "2,000 records in one burst must exceed 1,000 records/s"
    assert failed <= 1500
    bad = [r for o in outs for r in o["Records"] if "ErrorCode" in r]
    assert len(bad) == failed
    assert bad[0]["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert bad[0]["ErrorMessage"] == f"Rate exceeded for shard {shard_id(0)} in stream {name} under account {ACCOUNT}."
    assert all("SequenceNumber" not in r for r in bad)
    # The other shard still has its full budget.
    other = k.put_records(StreamName=name, Records=[{"PartitionKey": "k", "ExplicitHashKey": str(2**127), "Data": b"y"}] * 10)
    assert other["FailedRecordCount"] == 0


def test_put_record_over_one_mib_per_second_raises(limited):
    k = make_client(limited.endpoint)
    name = create_stream(k, shards=1)
    with pytest.raises(ClientError) as e:
        for _ in range(3):
            k.put_record(StreamName=name, PartitionKey="k", Data=b"z" * 600_000)
    assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_get_records_over_five_calls_per_second_raises(limited):
    k = make_client(limited.endpoint)
    name = create_stream(k, shards=1)
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="LATEST")["ShardIterator"]
    with pytest.raises(ClientError) as e:
        for _ in range(10):
            it = k.get_records(ShardIterator=it)["NextShardIterator"]
    assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_control_plane_tps(limited):
    k = make_client(limited.endpoint)
    name = create_stream(k, shards=1)
    with pytest.raises(ClientError) as e:
        for _ in range(30):
            k.describe_stream(StreamName=name)
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert e.value.response["Error"]["Message"] == f"Rate exceeded for stream {name} under account {ACCOUNT}."


def test_limits_off_never_throttles(riffle_factory):
    srv = riffle_factory("--limits", "off")
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    for _ in range(4):
        out = k.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
        assert out["FailedRecordCount"] == 0
    for _ in range(30):
        k.describe_stream(StreamName=name)
