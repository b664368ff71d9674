"""Data Streams API through boto3: lifecycle, shards, records, iterators, persistence."""

from __future__ import annotations

import collections
import datetime
import os
import random
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import (
    create_stream,
    error_code,
    error_status,
    hash_ranges,
    make_client,
    md5_hash_key,
    read_shard,
    shard_for_hash,
    shard_for_key,
    shard_id,
    stream_arn,
    unique_name,
    utcnow,
    wait_active,
)


def assert_seq(seq: str):
    assert isinstance(seq, str) and seq.isdigit() and len(seq) == 56, seq


def assert_recent(ts: datetime.datetime, slack: float = 60.0):
    now = utcnow()
    assert ts.tzinfo is not None
    assert abs((now - ts).total_seconds()) < slack, (ts, now)


# --------------------------------------------------------------------------- lifecycle


def test_create_describe_summary_delete(kinesis):
    name = unique_name("life")
    before = utcnow() - datetime.timedelta(seconds=2)
    resp = kinesis.create_stream(StreamName=name, ShardCount=3)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert any(k.lower() == "x-amzn-requestid" for k in resp["ResponseMetadata"]["HTTPHeaders"])

    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamName"] == name
    assert desc["StreamARN"] == stream_arn(name)
    assert desc["StreamStatus"] == "ACTIVE"  # --create-delay defaults to 0
    assert desc["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert desc["RetentionPeriodHours"] == 24
    assert desc["HasMoreShards"] is False
    assert desc["EncryptionType"] == "NONE"
    assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert before <= desc["StreamCreationTimestamp"] <= utcnow() + datetime.timedelta(seconds=2)
    ranges = hash_ranges(3)
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(i) for i in range(3)]
    for s, (lo, hi) in zip(desc["Shards"], ranges):
        assert s["HashKeyRange"] == {"StartingHashKey": str(lo), "EndingHashKey": str(hi)}
        assert_seq(s["SequenceNumberRange"]["StartingSequenceNumber"])
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"]
        assert "ParentShardId" not in s

    summ = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summ["StreamName"] == name
    assert summ["StreamARN"] == stream_arn(name)
    assert summ["StreamStatus"] == "ACTIVE"
    assert summ["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summ["RetentionPeriodHours"] == 24
    assert summ["OpenShardCount"] == 3
    assert summ["ConsumerCount"] == 0
    assert summ["EncryptionType"] == "NONE"
    assert summ["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert summ["StreamCreationTimestamp"] == desc["StreamCreationTimestamp"]

    listed = kinesis.list_streams(Limit=10000)
    assert name in listed["StreamNames"]
    summaries = {s["StreamName"]: s for s in listed["StreamSummaries"]}
    assert name in summaries
    ss = summaries[name]
    assert ss["StreamARN"] == stream_arn(name)
    assert ss["StreamStatus"] == "ACTIVE"
    assert ss["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert ss["StreamCreationTimestamp"] == desc["StreamCreationTimestamp"]

    kinesis.delete_stream(StreamName=name)
    deadline = time.monotonic() + 3
    while True:
        try:
            st = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            assert st["StreamStatus"] == "DELETING"
        except ClientError as e:
            assert error_code(e) == "ResourceNotFoundException"
            assert error_status(e) == 400
            break
        assert time.monotonic() < deadline, "stream still visible 3 s after DeleteStream"
        time.sleep(0.05)
    assert name not in kinesis.list_streams(Limit=10000)["StreamNames"]


def test_describe_stream_shard_paging(kinesis):
    name = create_stream(kinesis, 5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == [shard_id(0), shard_id(1)]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(
        StreamName=name, ExclusiveStartShardId=shard_id(1)
    )["StreamDescription"]
    assert [s["ShardId"] for s in rest["Shards"]] == [shard_id(i) for i in (2, 3, 4)]
    assert rest["HasMoreShards"] is False
    last = kinesis.describe_stream(
        StreamName=name, ExclusiveStartShardId=shard_id(3), Limit=1
    )["StreamDescription"]
    assert [s["ShardId"] for s in last["Shards"]] == [shard_id(4)]
    assert last["HasMoreShards"] is False


def test_list_streams_paging(riffle_factory):
    srv = riffle_factory()
    k = make_client(srv.endpoint)
    names = sorted(f"page-{c}-{uuid.uuid4().hex[:6]}" for c in "edcba")
    for n in names:
        create_stream(k, 1, name=n)

    full = k.list_streams()
    assert full["StreamNames"] == names  # lexicographic order, like AWS
    assert full["HasMoreStreams"] is False
    assert [s["StreamName"] for s in full["StreamSummaries"]] == names

    page = k.list_streams(Limit=2)
    assert page["StreamNames"] == names[:2]
    assert page["HasMoreStreams"] is True
    assert [s["StreamName"] for s in page["StreamSummaries"]] == names[:2]
    token = page["NextToken"]
    assert token

    seen = list(page["StreamNames"])
    pages = 1
    while token:
        page = k.list_streams(NextToken=token, Limit=2)
        seen += page["StreamNames"]
        token = page.get("NextToken")
        pages += 1
        assert pages < 10
        if not page["HasMoreStreams"]:
            assert token is None
    assert seen == names
    assert pages == 3

    after = k.list_streams(ExclusiveStartStreamName=names[1])
    assert after["StreamNames"] == names[2:]
    assert after["HasMoreStreams"] is False
    after2 = k.list_streams(ExclusiveStartStreamName=names[0], Limit=1)
    assert after2["StreamNames"] == [names[1]]
    assert after2["HasMoreStreams"] is True


def test_create_delay_creating_then_active(riffle_factory):
    srv = riffle_factory("--create-delay", "700", "--delete-delay", "700")
    k = make_client(srv.endpoint)
    name = unique_name("delay")
    k.create_stream(StreamName=name, ShardCount=1)
    st = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert st["StreamStatus"] == "CREATING"
    # writes to a CREATING stream are refused with ResourceNotFoundException by AWS
    with pytest.raises(ClientError) as ei:
        k.put_record(StreamName=name, PartitionKey="a", Data=b"x")
    assert error_code(ei.value) == "ResourceNotFoundException"
    t0 = time.monotonic()
    wait_active(k, name, timeout=5)
    assert time.monotonic() - t0 > 0.2
    k.delete_stream(StreamName=name)
    st = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert st["StreamStatus"] == "DELETING"
    time.sleep(1.2)
    with pytest.raises(ClientError) as ei:
        k.describe_stream_summary(StreamName=name)
    assert error_code(ei.value) == "ResourceNotFoundException"


def test_on_demand_has_four_shards(kinesis):
    name = unique_name("od")
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summ = wait_active(kinesis, name)
    assert summ["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summ["OpenShardCount"] == 4
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(4)]
    for s, (lo, hi) in zip(shards, hash_ranges(4)):
        assert s["HashKeyRange"] == {"StartingHashKey": str(lo), "EndingHashKey": str(hi)}
    listed = {s["StreamName"]: s for s in kinesis.list_streams(Limit=10000)["StreamSummaries"]}
    assert listed[name]["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}



def test_default_page_sizes(riffle_factory):
    """AWS-documented defaults: DescribeStream and ListStreams return 100 per page by default."""
    srv = riffle_factory("--sync", "never")
    k = make_client(srv.endpoint)
    big = create_stream(k, 101, name="big-" + uuid.uuid4().hex[:8])
    d = k.describe_stream(StreamName=big)["StreamDescription"]
    assert len(d["Shards"]) == 100
    assert d["HasMoreShards"] is True
    d2 = k.describe_stream(StreamName=big, ExclusiveStartShardId=shard_id(99))["StreamDescription"]
    assert [s["ShardId"] for s in d2["Shards"]] == [shard_id(100)]
    assert d2["HasMoreShards"] is False
    assert len(k.list_shards(StreamName=big)["Shards"]) == 101  # ListShards default is 1000

    for i in range(100):
        k.create_stream(StreamName=f"many-{i:03d}", ShardCount=1)
    page = k.list_streams()
    assert len(page["StreamNames"]) == 100
    assert page["HasMoreStreams"] is True
    assert page["StreamNames"] == sorted(page["StreamNames"])
    rest = k.list_streams(ExclusiveStartStreamName=page["StreamNames"][-1])
    assert len(rest["StreamNames"]) == 1 and rest["HasMoreStreams"] is False

# --------------------------------------------------------------------------- tags


def tags_of(resp):
    return {t["Key"]: t.get("Value", "") for t in resp["Tags"]}


def test_stream_tags(kinesis):
    name = create_stream(kinesis, 1, Tags={"team": "data", "env": "test"})
    resp = kinesis.list_tags_for_stream(StreamName=name)
    assert tags_of(resp) == {"team": "data", "env": "test"}
    assert resp["HasMoreTags"] is False

    kinesis.add_tags_to_stream(StreamName=name, Tags={"cost": "42", "env": "prod", "empty": ""})
    assert tags_of(kinesis.list_tags_for_stream(StreamName=name)) == {
        "team": "data", "env": "prod", "cost": "42", "empty": "",
    }
    page = kinesis.list_tags_for_stream(StreamName=name, Limit=2)
    assert len(page["Tags"]) == 2
    assert page["HasMoreTags"] is True
    keys = [t["Key"] for t in page["Tags"]]
    assert keys == sorted(keys)
    rest = kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey=keys[-1])
    assert rest["HasMoreTags"] is False
    assert sorted(keys + [t["Key"] for t in rest["Tags"]]) == ["cost", "empty", "env", "team"]

    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["team", "nope"])
    assert tags_of(kinesis.list_tags_for_stream(StreamName=name)) == {
        "env": "prod", "cost": "42", "empty": "",
    }


def test_tags_by_arn(kinesis):
    name = create_stream(kinesis, 1)
    arn = stream_arn(name)
    assert tags_of(kinesis.list_tags_for_resource(ResourceARN=arn)) == {}
    kinesis.tag_resource(ResourceARN=arn, Tags={"a": "1", "b": "2"})
    assert tags_of(kinesis.list_tags_for_resource(ResourceARN=arn)) == {"a": "1", "b": "2"}
    # the same tags through the stream-name API and the StreamARN parameter
    assert tags_of(kinesis.list_tags_for_stream(StreamName=name)) == {"a": "1", "b": "2"}
    assert tags_of(kinesis.list_tags_for_stream(StreamARN=arn)) == {"a": "1", "b": "2"}
    kinesis.add_tags_to_stream(StreamARN=arn, Tags={"c": "3"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert tags_of(kinesis.list_tags_for_resource(ResourceARN=arn)) == {"b": "2", "c": "3"}
    kinesis.remove_tags_from_stream(StreamARN=arn, TagKeys=["c"])
    assert tags_of(kinesis.list_tags_for_resource(ResourceARN=arn)) == {"b": "2"}


# --------------------------------------------------------------------------- retention, limits


def test_retention_increase_decrease(kinesis):
    name = create_stream(kinesis, 1)

    def hours():
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "RetentionPeriodHours"
        ]

    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert hours() == 48
    kinesis.increase_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=8760)
    assert hours() == 8760
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 8760
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=100)
    assert hours() == 100
    kinesis.decrease_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=24)
    assert hours() == 24
    wait_active(kinesis, name)


def test_describe_limits(riffle_factory):
    srv = riffle_factory("--shard-limit", "50")
    k = make_client(srv.endpoint)
    lim = k.describe_limits()
    assert lim["ShardLimit"] == 50
    assert lim["OpenShardCount"] == 0
    assert lim["OnDemandStreamCount"] == 0
    assert isinstance(lim["OnDemandStreamCountLimit"], int) and lim["OnDemandStreamCountLimit"] > 0
    create_stream(k, 3)
    od = unique_name("od")
    k.create_stream(StreamName=od, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_active(k, od)
    lim = k.describe_limits()
    assert lim["ShardLimit"] == 50
    assert lim["OpenShardCount"] == 7
    assert lim["OnDemandStreamCount"] == 1


def test_describe_limits_default_shard_limit(kinesis):
    assert kinesis.describe_limits()["ShardLimit"] == 10000


# --------------------------------------------------------------------------- ListShards


def test_list_shards_paging_and_filters(kinesis):
    name = create_stream(kinesis, 5)
    arn = stream_arn(name)
    all_ids = [shard_id(i) for i in range(5)]

    full = kinesis.list_shards(StreamName=name)
    assert [s["ShardId"] for s in full["Shards"]] == all_ids
    assert "NextToken" not in full
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert full["Shards"] == desc
    assert kinesis.list_shards(StreamARN=arn)["Shards"] == full["Shards"]

    # MaxResults + NextToken paging (NextToken alone, without StreamName)
    page = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in page["Shards"]] == all_ids[:2]
    tokens, got = set(), [s["ShardId"] for s in page["Shards"]]
    while "NextToken" in page:
        assert page["NextToken"] not in tokens
        tokens.add(page["NextToken"])
        page = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=2)
        got += [s["ShardId"] for s in page["Shards"]]
        assert len(tokens) < 10
    assert got == all_ids
    assert len(tokens) == 2

    ex = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=shard_id(1))
    assert [s["ShardId"] for s in ex["Shards"]] == all_ids[2:]
    ex = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=shard_id(4))
    assert ex["Shards"] == []

    def filt(**f):
        return [s["ShardId"] for s in kinesis.list_shards(StreamName=name, ShardFilter=f)["Shards"]]

    assert filt(Type="AFTER_SHARD_ID", ShardId=shard_id(2)) == all_ids[3:]
    assert filt(Type="AT_TRIM_HORIZON") == all_ids
    assert filt(Type="FROM_TRIM_HORIZON") == all_ids
    assert filt(Type="AT_LATEST") == all_ids
    now = utcnow()
    assert filt(Type="AT_TIMESTAMP", Timestamp=now) == all_ids
    assert filt(Type="FROM_TIMESTAMP", Timestamp=now) == all_ids


# --------------------------------------------------------------------------- PutRecord(s)


def test_put_record_shard_mapping(kinesis):
    n = 3  # not a power of two: floor(2^128 / 3) matters
    name = create_stream(kinesis, n)
    last_seq = collections.defaultdict(int)
    keys = [f"key-{i}" for i in range(40)] + ["ü-unicode-ключ", "x" * 256, " ", "\t"]
    for key in keys:
        resp = kinesis.put_record(StreamName=name, PartitionKey=key, Data=key.encode())
        assert resp["ShardId"] == shard_for_key(key, n), key
        assert_seq(resp["SequenceNumber"])
        seq = int(resp["SequenceNumber"])
        assert seq > last_seq[resp["ShardId"]]
        last_seq[resp["ShardId"]] = seq
    assert len(last_seq) == n  # 40 keys reach all 3 shards


def test_explicit_hash_key(kinesis):
    n = 4
    name = create_stream(kinesis, n)
    ranges = hash_ranges(n)
    cases = [
        (0, shard_id(0)),
        (ranges[0][1], shard_id(0)),
        (ranges[1][0], shard_id(1)),
        (ranges[2][1], shard_id(2)),
        (ranges[3][0], shard_id(3)),
        (2**128 - 1, shard_id(3)),
    ]
    for h, expected in cases:
        # the partition key alone would go elsewhere for at least some of these
        resp = kinesis.put_record(
            StreamName=name, PartitionKey="pk", Data=b"e", ExplicitHashKey=str(h)
        )
        assert resp["ShardId"] == expected, h
    resp = kinesis.put_records(
        StreamName=name,
        Records=[
            {"PartitionKey": "pk", "Data": b"a", "ExplicitHashKey": str(ranges[2][0])},
            {"PartitionKey": "pk", "Data": b"b"},
            {"PartitionKey": "pk", "Data": b"c", "ExplicitHashKey": "0"},
        ],
    )
    assert resp["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in resp["Records"]] == [
        shard_id(2), shard_for_key("pk", n), shard_id(0),
    ]


def test_put_records_order_and_mapping(kinesis):
    n = 4
    name = create_stream(kinesis, n)
    recs = [{"PartitionKey": f"k{i}", "Data": bytes([i % 256]) * (i + 1)} for i in range(100)]
    resp = kinesis.put_records(StreamName=name, Records=recs)
    assert resp["FailedRecordCount"] == 0
    assert len(resp["Records"]) == 100
    per_shard = collections.defaultdict(list)
    for rec, out in zip(recs, resp["Records"]):
        assert "ErrorCode" not in out
        assert out["ShardId"] == shard_for_key(rec["PartitionKey"], n)
        assert_seq(out["SequenceNumber"])
        per_shard[out["ShardId"]].append((int(out["SequenceNumber"]), rec))
    for sid, entries in per_shard.items():
        seqs = [s for s, _ in entries]
        assert len(set(seqs)) == len(seqs)
        got = read_shard(kinesis, name, sid)
        # within a single PutRecords, per-shard order follows request order
        assert [int(r["SequenceNumber"]) for r in got] == sorted(seqs)
        by_seq = {int(r["SequenceNumber"]): r for r in got}
        for s, rec in entries:
            assert by_seq[s]["Data"] == rec["Data"]
            assert by_seq[s]["PartitionKey"] == rec["PartitionKey"]


def test_sequence_number_for_ordering(kinesis):
    name = create_stream(kinesis, 1)
    a = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"1")["SequenceNumber"]
    b = kinesis.put_record(
        StreamName=name, PartitionKey="k", Data=b"2", SequenceNumberForOrdering=a
    )["SequenceNumber"]
    assert int(b) > int(a)


def test_binary_and_max_size_round_trip(kinesis):
    name = create_stream(kinesis, 1)
    blobs = [bytes(range(256)), b"\x00", os.urandom(1024 * 1024 - 10)]
    seqs = []
    for i, blob in enumerate(blobs):
        # key + data may total exactly 1 MiB
        pk = "k" if i < 2 else "k" * 10
        seqs.append(kinesis.put_record(StreamName=name, PartitionKey=pk, Data=blob)["SequenceNumber"])
    got = read_shard(kinesis, name, shard_id(0))
    assert [r["SequenceNumber"] for r in got] == seqs
    assert [r["Data"] for r in got] == blobs



def test_get_records_10_mib_cap(kinesis):
    """One GetRecords call returns at most 10 MiB of data."""
    name = create_stream(kinesis, 1)
    size = 1024 * 1024 - 1  # + 1-char partition key = 1 MiB per record
    for i in range(12):
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=bytes([i]) * size)
    it = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    resp = kinesis.get_records(ShardIterator=it)
    recs = resp["Records"]
    assert 1 <= len(recs) < 12, len(recs)
    assert sum(len(r["Data"]) for r in recs) <= 10 * 1024 * 1024
    assert [r["Data"][0] for r in recs] == list(range(len(recs)))
    assert resp["NextShardIterator"]
    assert resp["MillisBehindLatest"] >= 0

# --------------------------------------------------------------------------- iterators


def put_n(client, name, n, prefix="r", key="k"):
    out = []
    for i in range(n):
        data = f"{prefix}-{i}".encode()
        resp = client.put_record(StreamName=name, PartitionKey=key, Data=data)
        out.append((resp["SequenceNumber"], data))
    return out


def first_read(client, name, it_type, **kw):
    it = client.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType=it_type, **kw
    )["ShardIterator"]
    assert isinstance(it, str) and 1 <= len(it) <= 512
    return client.get_records(ShardIterator=it)


def test_iterator_types(kinesis):
    name = create_stream(kinesis, 1)
    written = put_n(kinesis, name, 10)
    seqs = [s for s, _ in written]

    r = first_read(kinesis, name, "TRIM_HORIZON")
    assert [x["SequenceNumber"] for x in r["Records"]] == seqs
    assert [x["Data"] for x in r["Records"]] == [d for _, d in written]

    r = first_read(kinesis, name, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[3])
    assert [x["SequenceNumber"] for x in r["Records"]] == seqs[3:]
    r = first_read(kinesis, name, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[3])
    assert [x["SequenceNumber"] for x in r["Records"]] == seqs[4:]
    r = first_read(kinesis, name, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[-1])
    assert r["Records"] == []

    # the shard's StartingSequenceNumber is a valid AT_SEQUENCE_NUMBER position
    start = kinesis.list_shards(StreamName=name)["Shards"][0]["SequenceNumberRange"][
        "StartingSequenceNumber"
    ]
    assert int(start) < int(seqs[0])
    r = first_read(kinesis, name, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)
    assert [x["SequenceNumber"] for x in r["Records"]] == seqs

    latest = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="LATEST"
    )["ShardIterator"]
    r = kinesis.get_records(ShardIterator=latest)
    assert r["Records"] == []
    new = put_n(kinesis, name, 2, prefix="late")
    r2 = kinesis.get_records(ShardIterator=r["NextShardIterator"])
    assert [x["SequenceNumber"] for x in r2["Records"]] == [s for s, _ in new]
    # a LATEST iterator taken before the puts, read only afterwards, also sees them
    r3 = kinesis.get_records(ShardIterator=latest)
    assert [x["SequenceNumber"] for x in r3["Records"]] == [s for s, _ in new]


def test_at_timestamp(kinesis):
    name = create_stream(kinesis, 1)
    a = put_n(kinesis, name, 3, prefix="a")
    # boto3 sends Timestamp as whole epoch seconds: cut at the next second boundary
    boundary = int(time.time()) + 1
    time.sleep(boundary - time.time() + 0.05)
    b = put_n(kinesis, name, 3, prefix="b")
    ts = datetime.datetime.fromtimestamp(boundary, datetime.timezone.utc)

    r = first_read(kinesis, name, "AT_TIMESTAMP", Timestamp=ts)
    assert [x["SequenceNumber"] for x in r["Records"]] == [s for s, _ in b]
    for x in r["Records"]:
        assert x["ApproximateArrivalTimestamp"] >= ts

    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    r = first_read(kinesis, name, "AT_TIMESTAMP", Timestamp=past)
    assert [x["SequenceNumber"] for x in r["Records"]] == [s for s, _ in a + b]



def test_at_timestamp_millisecond_json(kinesis, raw):
    """JSON timestamps are epoch seconds with a millisecond fraction, in both directions."""
    name = create_stream(kinesis, 1)
    put_n(kinesis, name, 1, prefix="a")
    time.sleep(0.03)
    put_n(kinesis, name, 1, prefix="b")
    it = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    resp = raw.json("GetRecords", {"ShardIterator": it})
    assert resp.status == 200, resp
    recs = resp.json()["Records"]
    a_ts, b_ts = (r["ApproximateArrivalTimestamp"] for r in recs)
    assert isinstance(a_ts, (int, float)) and 1.5e9 < a_ts < 1e11, a_ts  # seconds, not millis
    assert round(a_ts * 1000) < round(b_ts * 1000)

    def first(ts):
        r = raw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                          "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ts})
        assert r.status == 200, r
        got = kinesis.get_records(ShardIterator=r.json()["ShardIterator"])["Records"]
        return [x["Data"] for x in got]

    assert first(a_ts) == [b"a-0", b"b-0"]  # inclusive
    assert first(round(a_ts + 0.001, 3)) == [b"b-0"]  # one millisecond later
    assert first(b_ts) == [b"b-0"]


def test_get_records_paging(kinesis):
    name = create_stream(kinesis, 1)
    recs = [{"PartitionKey": f"p{i}", "Data": f"d{i}".encode()} for i in range(25)]
    put = kinesis.put_records(StreamName=name, Records=recs)
    seqs = [r["SequenceNumber"] for r in put["Records"]]

    it = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    sizes, got, iterators = [], [], [it]
    for _ in range(6):
        resp = kinesis.get_records(ShardIterator=it, Limit=10)
        assert "MillisBehindLatest" in resp
        assert isinstance(resp["MillisBehindLatest"], int) and resp["MillisBehindLatest"] >= 0
        assert "ChildShards" not in resp or resp["ChildShards"] == []
        sizes.append(len(resp["Records"]))
        got += resp["Records"]
        it = resp["NextShardIterator"]
        assert it, "open shard must always return a NextShardIterator"
        iterators.append(it)
    assert sizes == [10, 10, 5, 0, 0, 0]
    assert len(set(iterators)) == len(iterators), "NextShardIterator must change on every call"
    assert [r["SequenceNumber"] for r in got] == seqs
    assert [r["PartitionKey"] for r in got] == [r["PartitionKey"] for r in recs]
    assert [r["Data"] for r in got] == [r["Data"] for r in recs]
    assert resp["MillisBehindLatest"] == 0

    stamps = [r["ApproximateArrivalTimestamp"] for r in got]
    assert stamps == sorted(stamps)
    for s in stamps:
        assert_recent(s)

    # an old iterator stays valid (within 5 minutes) and re-reads from its position
    again = kinesis.get_records(ShardIterator=iterators[1], Limit=10)
    assert [r["SequenceNumber"] for r in again["Records"]] == seqs[10:20]


def test_arrival_timestamps_non_decreasing_across_calls(kinesis):
    name = create_stream(kinesis, 1)
    for i in range(20):
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"%d" % i)
        if i % 5 == 0:
            time.sleep(0.01)
    got = read_shard(kinesis, name, shard_id(0))
    assert len(got) == 20
    stamps = [r["ApproximateArrivalTimestamp"] for r in got]
    assert stamps == sorted(stamps)
    assert stamps[-1] > stamps[0]  # the sleeps are visible at millisecond precision
    seqs = [int(r["SequenceNumber"]) for r in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == 20


def test_stream_arn_addressing(kinesis):
    name = create_stream(kinesis, 2)
    arn = stream_arn(name)
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name
    assert kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"][
        "StreamName"
    ] == name
    assert len(kinesis.list_shards(StreamARN=arn)["Shards"]) == 2
    r1 = kinesis.put_record(StreamARN=arn, PartitionKey="alpha", Data=b"one")
    assert r1["ShardId"] == shard_for_key("alpha", 2)
    r2 = kinesis.put_records(StreamARN=arn, Records=[{"PartitionKey": "alpha", "Data": b"two"}])
    assert r2["FailedRecordCount"] == 0
    it = kinesis.get_shard_iterator(
        StreamARN=arn, ShardId=r1["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    got = kinesis.get_records(ShardIterator=it, StreamARN=arn)["Records"]
    assert [r["Data"] for r in got] == [b"one", b"two"]
    kinesis.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=30)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"
    ] == 30
    kinesis.delete_stream(StreamARN=arn)
    time.sleep(0.3)
    with pytest.raises(ClientError) as ei:
        kinesis.describe_stream_summary(StreamARN=arn)
    assert error_code(ei.value) == "ResourceNotFoundException"


def test_region_and_account_from_request(riffle):
    """Region comes from the SigV4 scope; a 12-digit access key selects the account."""
    k_west = make_client(riffle.endpoint, region="us-west-2")
    k_acct = make_client(riffle.endpoint, access_key="123456789012")
    k_east = make_client(riffle.endpoint)
    name = unique_name("region")
    k_west.create_stream(StreamName=name, ShardCount=1)
    wait_active(k_west, name)
    summ = k_west.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summ["StreamARN"] == stream_arn(name, region="us-west-2")
    assert name not in k_east.list_streams(Limit=10000)["StreamNames"]

    k_acct.create_stream(StreamName=name, ShardCount=1)
    wait_active(k_acct, name)
    summ = k_acct.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summ["StreamARN"] == stream_arn(name, account="123456789012")
    assert name not in k_east.list_streams(Limit=10000)["StreamNames"]


# --------------------------------------------------------------------------- spread


@pytest.mark.slow
def test_even_spread_20000_records(riffle_factory):
    srv = riffle_factory("--sync", "interval")
    k = make_client(srv.endpoint)
    name = create_stream(k, 4)
    rnd = random.Random(1234)
    counts = collections.Counter()
    total = 0
    for batch in range(40):
        recs = [
            {"PartitionKey": uuid.UUID(int=rnd.getrandbits(128)).hex, "Data": b"%d" % (batch * 500 + i)}
            for i in range(500)
        ]
        resp = k.put_records(StreamName=name, Records=recs)
        assert resp["FailedRecordCount"] == 0
        for rec, out in zip(recs, resp["Records"]):
            assert out["ShardId"] == shard_for_key(rec["PartitionKey"], 4)
            counts[out["ShardId"]] += 1
        total += len(recs)
    assert total == 20000
    assert set(counts) == {shard_id(i) for i in range(4)}
    for sid, c in counts.items():
        assert 0.20 * total <= c <= 0.30 * total, (sid, c, counts)

    # and every record is there to be read back
    for sid, c in counts.items():
        got = read_shard(k, name, sid, max_empty=1)
        assert len(got) == c, sid
        seqs = [int(r["SequenceNumber"]) for r in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


# --------------------------------------------------------------------------- restart


def test_restart_persistence(fresh_riffle):
    srv = fresh_riffle
    k = make_client(srv.endpoint)
    name = create_stream(k, 2, Tags={"keep": "me"})
    k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    written = collections.defaultdict(list)
    for i in range(60):
        data = os.urandom(random.randint(1, 300)) + b"%d" % i
        resp = k.put_record(StreamName=name, PartitionKey=f"key{i}", Data=data)
        written[resp["ShardId"]].append((resp["SequenceNumber"], data, f"key{i}"))
    assert len(written) == 2

    def read_all(client):
        return {sid: read_shard(client, name, sid, max_empty=1) for sid in (shard_id(0), shard_id(1))}

    before = read_all(k)
    desc_before = k.describe_stream(StreamName=name)["StreamDescription"]

    for _ in range(2):
        srv.restart(graceful=True)
        k = make_client(srv.endpoint)
        after = read_all(k)
        for sid in written:
            assert [(r["SequenceNumber"], r["Data"], r["PartitionKey"]) for r in after[sid]] == written[sid]
            assert [r["ApproximateArrivalTimestamp"] for r in after[sid]] == [
                r["ApproximateArrivalTimestamp"] for r in before[sid]
            ]
        desc = k.describe_stream(StreamName=name)["StreamDescription"]
        assert desc["RetentionPeriodHours"] == 72
        assert desc["Shards"] == desc_before["Shards"]
        assert desc["StreamCreationTimestamp"] == desc_before["StreamCreationTimestamp"]
        assert tags_of(k.list_tags_for_stream(StreamName=name)) == {"keep": "me"}

        # new sequence numbers keep increasing after the restart
        for sid in written:
            h = md5_hash_key(written[sid][0][2])
            assert shard_for_hash(h, 2) == sid
            resp = k.put_record(StreamName=name, PartitionKey=written[sid][0][2], Data=b"post")
            assert resp["ShardId"] == sid
            assert int(resp["SequenceNumber"]) > int(written[sid][-1][0])
            written[sid].append((resp["SequenceNumber"], b"post", written[sid][0][2]))
        before = read_all(k)


def test_deleted_stream_stays_deleted_after_restart(fresh_riffle):
    srv = fresh_riffle
    k = make_client(srv.endpoint)
    gone = create_stream(k, 1)
    kept = create_stream(k, 1)
    k.put_record(StreamName=gone, PartitionKey="a", Data=b"x")
    k.delete_stream(StreamName=gone)
    time.sleep(0.3)
    srv.restart()
    k = make_client(srv.endpoint)
    names = k.list_streams()["StreamNames"]
    assert kept in names and gone not in names
    # the name can be reused and the new stream starts empty
    create_stream(k, 1, name=gone)
    assert read_shard(k, gone, shard_id(0), max_empty=1) == []


def test_sigterm_is_graceful(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    create_stream(k, 1)
    code = fresh_riffle.stop(timeout=10)
    assert code == 0, fresh_riffle.log_tail()


# --------------------------------------------------------------------------- coverage


def test_every_kinesis_operation_is_served(kinesis, riffle):
    """Every operation of the botocore model is built: none answers UnknownOperationException
    (an empty body gets a validation or not-found error instead, which shows the operation
    exists)."""
    from conftest import RawClient

    raw = RawClient(riffle.endpoint)
    for op in kinesis.meta.service_model.operation_names:
        r = raw.json(op, {})
        assert r.error_type() != "UnknownOperationException", f"{op} is not served"
