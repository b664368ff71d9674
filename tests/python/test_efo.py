"""Enhanced fan-out through boto3: stream consumers, and SubscribeToShard as boto3 reads it
(an initial-response event first, then SubscribeToShardEvents over HTTP/1.1 chunked),
records pushed as soon as they are durable, every starting position, the 5-second takeover
rule, and ChildShards with a null continuation at the end of a closed shard."""

import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import create_stream, make_client, shard_id, stream_arn


def events(sub, n, timeout=15):
    """The first `n` SubscribeToShardEvents of a subscription (closing it afterwards)."""
    out, deadline = [], time.monotonic() + timeout
    stream = sub["EventStream"]
    try:
        for ev in stream:
            out.append(ev["SubscribeToShardEvent"])
            if len(out) >= n or time.monotonic() > deadline:
                break
    finally:
        stream.close()
    return out


def test_consumer_lifecycle(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    arn = stream_arn(name)
    c = k.register_stream_consumer(StreamARN=arn, ConsumerName="c1")["Consumer"]
    assert c["ConsumerARN"].startswith(f"{arn}/consumer/c1:")
    assert c["ConsumerStatus"] == "ACTIVE"
    by_arn = k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    by_name = k.describe_stream_consumer(StreamARN=arn, ConsumerName="c1")["ConsumerDescription"]
    assert by_arn == by_name and by_arn["StreamARN"] == arn
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn, ConsumerName="c1")
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    for i in range(2, 21):
        k.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn, ConsumerName="c21")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    page = k.list_stream_consumers(StreamARN=arn, MaxResults=15)
    rest = k.list_stream_consumers(StreamARN=arn, NextToken=page["NextToken"])
    names = [x["ConsumerName"] for x in page["Consumers"] + rest["Consumers"]]
    assert names == [f"c{i}" for i in range(1, 21)] and "NextToken" not in rest
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 20
    k.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    with pytest.raises(ClientError) as e:
        k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        k.delete_stream(StreamName=name)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    k.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    assert name not in k.list_streams()["StreamNames"]


def test_consumers_start_creating_with_a_delay(riffle_factory):
    srv = riffle_factory("--create-delay", "300")
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    c = k.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="slow")["Consumer"]
    assert c["ConsumerStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        k.subscribe_to_shard(ConsumerARN=c["ConsumerARN"], ShardId=shard_id(0), StartingPosition={"Type": "LATEST"})
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    time.sleep(0.5)
    assert k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"


@pytest.fixture
def efo(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    consumer = k.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="c")["Consumer"]["ConsumerARN"]
    return k, name, consumer


def test_records_are_pushed_as_they_arrive(efo):
    k, name, consumer = efo
    first = k.put_record(StreamName=name, PartitionKey="k", Data=b"first")
    sub = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard_id(0), StartingPosition={"Type": "TRIM_HORIZON"})
    timer = threading.Timer(0.3, lambda: k.put_record(StreamName=name, PartitionKey="k", Data=b"pushed"))
    timer.start()
    got = events(sub, 2)
    assert [r["Data"] for r in got[0]["Records"]] == [b"first"]
    assert got[0]["ContinuationSequenceNumber"] == first["SequenceNumber"]
    assert [r["Data"] for r in got[1]["Records"]] == [b"pushed"]
    assert got[1]["MillisBehindLatest"] == 0
    assert int(got[1]["ContinuationSequenceNumber"]) > int(first["SequenceNumber"])


def test_every_starting_position(efo):
    k, name, consumer = efo
    seqs = [k.put_record(StreamName=name, PartitionKey="k", Data=b"r%d" % i)["SequenceNumber"] for i in range(3)]

    def first_records(pos, **extra):
        time.sleep(5.1)  # a new subscription for the same consumer and shard needs 5 s
        sub = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard_id(0), StartingPosition={"Type": pos, **extra})
        return [r["Data"] for r in events(sub, 1)[0]["Records"]]

    assert first_records("AT_SEQUENCE_NUMBER", SequenceNumber=seqs[1]) == [b"r1", b"r2"]
    assert first_records("AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[1]) == [b"r2"]
    assert first_records("LATEST") == []
    assert first_records("AT_TIMESTAMP", Timestamp=time.time() - 3600) == [b"r0", b"r1", b"r2"]


def test_second_subscription_within_five_seconds_is_refused(efo):
    k, name, consumer = efo
    sub = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard_id(0), StartingPosition={"Type": "LATEST"})
    try:
        with pytest.raises(ClientError) as e:
            k.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard_id(0), StartingPosition={"Type": "LATEST"})
        assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    finally:
        sub["EventStream"].close()


def test_closed_shard_ends_with_child_shards(efo):
    k, name, consumer = efo
    k.put_record(StreamName=name, PartitionKey="k", Data=b"in parent")
    k.split_shard(StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(2**127))
    sub = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard_id(0), StartingPosition={"Type": "TRIM_HORIZON"})
    got = events(sub, 3, timeout=8)
    last = got[-1]
    assert last.get("ContinuationSequenceNumber") is None
    assert sorted(c["ShardId"] for c in last["ChildShards"]) == [shard_id(1), shard_id(2)]
    assert [r["Data"] for e in got for r in e["Records"]] == [b"in parent"]
