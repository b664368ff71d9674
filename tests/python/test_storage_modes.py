"""Storage behaviour seen through boto3: every --sync mode keeps data across a graceful
restart, and records older than the stream's retention disappear from reads.

Retention is tested without waiting 24 hours: the server is restarted on the same data dir
with its clock moved forward by the hidden testing flag --clock-offset-ms."""

import pytest

from conftest import create_stream, make_client, read_shard, shard_id

HOUR_MS = 3_600_000


@pytest.mark.parametrize("mode", ["always", "interval", "never"])
def test_every_sync_mode_survives_a_graceful_restart(riffle_factory, mode):
    srv = riffle_factory("--sync", mode)
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    acked = []
    for i in range(50):
        r = k.put_record(StreamName=name, PartitionKey=f"k{i}", Data=f"{mode}-{i}".encode())
        acked.append((r["SequenceNumber"], f"{mode}-{i}".encode()))
    srv.restart(graceful=True)
    k = make_client(srv.endpoint)
    got = [(r["SequenceNumber"], r["Data"]) for r in read_shard(k, name, shard_id(0))]
    assert got == acked


def test_records_past_retention_disappear_from_reads(riffle_factory):
    srv = riffle_factory()
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    for i in range(5):
        k.put_record(StreamName=name, PartitionKey="k", Data=b"old-%d" % i)
    assert len(read_shard(k, name, shard_id(0))) == 5
    srv.stop()

    # 23 hours later the records are still inside the default 24-hour retention.
    later = riffle_factory("--clock-offset-ms", str(23 * HOUR_MS), data_dir=srv.data_dir)
    k = make_client(later.endpoint)
    assert [r["Data"] for r in read_shard(k, name, shard_id(0))] == [b"old-%d" % i for i in range(5)]
    later.stop()

    # 25 hours later they are gone, and new records are read normally.
    much_later = riffle_factory("--clock-offset-ms", str(25 * HOUR_MS), data_dir=srv.data_dir)
    k = make_client(much_later.endpoint)
    assert read_shard(k, name, shard_id(0)) == []
    fresh = k.put_record(StreamName=name, PartitionKey="k", Data=b"new")
    got = read_shard(k, name, shard_id(0))
    assert [r["Data"] for r in got] == [b"new"]
    assert got[0]["SequenceNumber"] == fresh["SequenceNumber"]


def test_longer_retention_keeps_records(riffle_factory):
    srv = riffle_factory()
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    k.put_record(StreamName=name, PartitionKey="k", Data=b"kept")
    srv.stop()
    later = riffle_factory("--clock-offset-ms", str(30 * HOUR_MS), data_dir=srv.data_dir)
    k = make_client(later.endpoint)
    assert [r["Data"] for r in read_shard(k, name, shard_id(0))] == [b"kept"]


def test_iterators_survive_restarts_and_expire_after_five_minutes(riffle_factory):
    import re

    from botocore.exceptions import ClientError

    srv = riffle_factory()
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    k.put_record(StreamName=name, PartitionKey="k", Data=b"x")
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    srv.stop()

    # Four minutes later (and after a restart) the iterator still works.
    later = riffle_factory("--clock-offset-ms", str(4 * 60_000), data_dir=srv.data_dir)
    k = make_client(later.endpoint)
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"x"]
    later.stop()

    # Six minutes later it has expired, with AWS's message.
    expired = riffle_factory("--clock-offset-ms", str(6 * 60_000), data_dir=srv.data_dir)
    k = make_client(expired.endpoint)
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it)
    assert e.value.response["Error"]["Code"] == "ExpiredIteratorException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    date = r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}"
    assert re.fullmatch(
        rf"Iterator expired\. The iterator was created at time {date} while right now it is {date} "
        r"which is further in the future than the tolerated delay of 300000 milliseconds\.",
        e.value.response["Error"]["Message"],
    )
