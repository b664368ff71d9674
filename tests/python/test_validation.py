"""Error cases: exact __type, HTTP status and (where AWS's text is known) the exact message.

Message texts come from AWS-captured expectations (kinesalite's REMOTE-validated suite and
LocalStack's AWS-validated tests); see the team's notes on AWS messages. Where AWS's current
wording is unknown, only the type and status are asserted (noted per test).

boto3 validates required members, minimum lengths and types client-side, so those cases are sent
as raw signed JSON (RawClient) instead.
"""

from __future__ import annotations

import base64
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import (
    ACCOUNT,
    REGION,
    TARGET_PREFIX,
    b64,
    create_stream,
    error_code,
    error_message,
    error_status,
    make_client,
    shard_id,
    stream_arn,
    unique_name,
)

SHARD_LIMIT_TEXT = (
    "This request would exceed the shard limit for the account {acct} in {region}. "
    "Current shard count for the account: {open}. Limit: {limit}. Number of additional shards "
    "that would have resulted from this request: {n}. Refer to the AWS Service Limits page "
    "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits "
    "and how to request higher limits."
)
ITER_ARGS_TEXT = (
    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
    "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {t} and {tail}."
)
NAME_PATTERN = "[a-zA-Z0-9_.-]+"


def not_found(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT} not found."


def shard_missing(name: str, sid: str) -> str:
    return f"Shard {sid} in stream {name} under account {ACCOUNT} does not exist"


# --------------------------------------------------------------------------- assertion helpers


def parse_validation(msg: str) -> tuple[int, list[str]]:
    m = re.match(r"^(\d+) validation errors? detected: (.*)$", msg, re.S)
    assert m, f"not a validation message: {msg!r}"
    n = int(m.group(1))
    assert msg.startswith(f"{n} validation {'error' if n == 1 else 'errors'} detected: "), msg
    entries = re.split(r"; (?=Value )", m.group(2))
    return n, entries


def entry(value, path: str, constraint: str) -> str:
    v = "null" if value is None else f"'{value}'"
    return f"Value {v} at '{path}' failed to satisfy constraint: {constraint}"


def assert_validation(msg: str, *entries: str):
    """N prefix and the exact set of entries (AWS's entry order is not stable)."""
    n, got = parse_validation(msg)
    assert n == len(entries), msg
    assert sorted(got) == sorted(entries), msg


def assert_raw_error(resp, type_: str, status: int = 400, message=None, message_key="message"):
    assert resp.status == status, resp
    t, body = resp.error_type()
    assert t == type_, resp
    assert any(k.lower() == "x-amzn-requestid" for k in resp.headers), dict(resp.headers)
    if message is not None:
        assert body.get(message_key) == message, body
    return body


def assert_client_error(exc_info, code: str, message=None, status: int = 400):
    e = exc_info.value
    assert error_code(e) == code, e.response
    assert error_status(e) == status, e.response
    if message is not None:
        assert error_message(e) == message, e.response


@pytest.fixture(scope="module")
def stream1(kinesis):
    """A 1-shard stream with three records, shared by the read-side cases."""
    name = create_stream(kinesis, 1)
    seqs = [
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"v%d" % i)["SequenceNumber"]
        for i in range(3)
    ]
    return name, seqs


# --------------------------------------------------------------------------- stream names, CreateStream


@pytest.mark.parametrize("bad", ["bad;name", "has space", "slash/name", "ünï"])
def test_bad_stream_name_pattern(raw, bad):
    r = raw.json("CreateStream", {"StreamName": bad, "ShardCount": 1})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(body["message"], entry(bad, "streamName",
                      f"Member must satisfy regular expression pattern: {NAME_PATTERN}"))


def test_stream_name_too_long(raw, kinesis):
    name = "a" * 129
    r = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy "
        "constraint: Member must have length less than or equal to 128"
    )
    # 128 characters is fine
    ok = "b" * 116 + unique_name("")[-12:]
    assert len(ok) == 128
    kinesis.create_stream(StreamName=ok, ShardCount=1)
    assert kinesis.describe_stream_summary(StreamName=ok)["StreamDescriptionSummary"]["StreamName"] == ok
    kinesis.delete_stream(StreamName=ok)


def test_empty_name_and_zero_shards(raw):
    r = raw.json("CreateStream", {"StreamName": "", "ShardCount": 0})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry(0, "shardCount", "Member must have value greater than or equal to 1"),
        entry("", "streamName", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        entry("", "streamName", "Member must have length greater than or equal to 1"),
    )


def test_shard_count_zero(raw):
    r = raw.json("CreateStream", {"StreamName": unique_name(), "ShardCount": 0})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_describe_with_bad_name(raw):
    r = raw.json("DescribeStream", {"StreamName": "x" * 129})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(body["message"], entry("x" * 129, "streamName",
                      "Member must have length less than or equal to 128"))


def test_shard_limit_exceeded(riffle_factory):
    srv = riffle_factory("--shard-limit", "5")
    k = make_client(srv.endpoint)
    create_stream(k, 2)
    name = unique_name("over")
    with pytest.raises(ClientError) as ei:
        k.create_stream(StreamName=name, ShardCount=4)
    assert_client_error(ei, "LimitExceededException", SHARD_LIMIT_TEXT.format(
        acct=ACCOUNT, region=REGION, open=2, limit=5, n=4))
    # the failed request created nothing
    assert name not in k.list_streams(Limit=100)["StreamNames"]
    # exactly reaching the limit is allowed
    create_stream(k, 3)
    with pytest.raises(ClientError) as ei:
        k.create_stream(StreamName=unique_name("over"), ShardCount=1)
    assert_client_error(ei, "LimitExceededException", SHARD_LIMIT_TEXT.format(
        acct=ACCOUNT, region=REGION, open=5, limit=5, n=1))
    # ON_DEMAND streams count their 4 shards too
    with pytest.raises(ClientError) as ei:
        k.create_stream(StreamName=unique_name("od"), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert_client_error(ei, "LimitExceededException")


def test_default_shard_limit_100000(kinesis):
    with pytest.raises(ClientError) as ei:
        kinesis.create_stream(StreamName=unique_name("huge"), ShardCount=100000)
    assert_client_error(ei, "LimitExceededException")
    msg = error_message(ei.value)
    assert msg.startswith(f"This request would exceed the shard limit for the account {ACCOUNT} in {REGION}. ")
    assert "Limit: 10000. Number of additional shards that would have resulted from this request: 100000." in msg


def test_duplicate_create(kinesis):
    name = create_stream(kinesis, 1)
    with pytest.raises(ClientError) as ei:
        kinesis.create_stream(StreamName=name, ShardCount=2)
    assert_client_error(ei, "ResourceInUseException",
                        f"Stream {name} under account {ACCOUNT} already exists.")
    # unchanged
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 1


# --------------------------------------------------------------------------- not found


@pytest.mark.parametrize(
    "op",
    [
        lambda k, n: k.describe_stream(StreamName=n),
        lambda k, n: k.describe_stream_summary(StreamName=n),
        lambda k, n: k.delete_stream(StreamName=n),
        lambda k, n: k.list_shards(StreamName=n),
        lambda k, n: k.put_record(StreamName=n, PartitionKey="a", Data=b"x"),
        lambda k, n: k.put_records(StreamName=n, Records=[{"PartitionKey": "a", "Data": b"x"}]),
        lambda k, n: k.list_tags_for_stream(StreamName=n),
        lambda k, n: k.add_tags_to_stream(StreamName=n, Tags={"a": "b"}),
        lambda k, n: k.remove_tags_from_stream(StreamName=n, TagKeys=["a"]),
        lambda k, n: k.increase_stream_retention_period(StreamName=n, RetentionPeriodHours=48),
        lambda k, n: k.decrease_stream_retention_period(StreamName=n, RetentionPeriodHours=24),
    ],
    ids=["DescribeStream", "DescribeStreamSummary", "DeleteStream", "ListShards", "PutRecord",
         "PutRecords", "ListTagsForStream", "AddTagsToStream", "RemoveTagsFromStream",
         "IncreaseRetention", "DecreaseRetention"],
)
def test_stream_not_found(kinesis, op):
    name = unique_name("missing")
    with pytest.raises(ClientError) as ei:
        op(kinesis, name)
    assert_client_error(ei, "ResourceNotFoundException", not_found(name))


@pytest.mark.parametrize(
    "op",
    [
        lambda k, a: k.describe_stream_summary(StreamARN=a),
        lambda k, a: k.put_record(StreamARN=a, PartitionKey="a", Data=b"x"),
        lambda k, a: k.list_tags_for_resource(ResourceARN=a),
        lambda k, a: k.tag_resource(ResourceARN=a, Tags={"a": "b"}),
    ],
    ids=["DescribeStreamSummary", "PutRecord", "ListTagsForResource", "TagResource"],
)
def test_stream_not_found_by_arn(kinesis, op):
    """AWS's exact text for ARN addressing is not captured: type, status and the name only."""
    name = unique_name("missing")
    with pytest.raises(ClientError) as ei:
        op(kinesis, stream_arn(name))
    assert_client_error(ei, "ResourceNotFoundException")
    assert name in error_message(ei.value)


def test_get_shard_iterator_missing_stream_and_shard(kinesis, stream1):
    name = unique_name("missing")
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="LATEST")
    assert_client_error(ei, "ResourceNotFoundException", shard_missing(name, shard_id(0)))

    existing, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=existing, ShardId=shard_id(5), ShardIteratorType="LATEST")
    assert_client_error(ei, "ResourceNotFoundException", shard_missing(existing, shard_id(5)))

    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=existing, ShardId="ABKLFD8", ShardIteratorType="LATEST")
    assert_client_error(
        ei, "ResourceNotFoundException",
        f"Could not find shard ABKLFD8 in stream {existing} under account {ACCOUNT}.",
    )


def test_iterator_of_deleted_stream(kinesis):
    name = create_stream(kinesis, 1)
    it = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    kinesis.delete_stream(StreamName=name)
    time.sleep(0.3)
    with pytest.raises(ClientError) as ei:
        kinesis.get_records(ShardIterator=it)
    assert_client_error(ei, "ResourceNotFoundException", shard_missing(name, shard_id(0)))


# --------------------------------------------------------------------------- PutRecord(s)


def test_put_record_data_over_1mib(kinesis, stream1):
    """The model's Data max is now 10 MiB; 1 MiB + 1 is rejected by the stream's default
    MaxRecordSize (1024 KiB). AWS's exact text is not captured: type and status only."""
    name, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x" * (1024 * 1024 + 1))
    assert_client_error(ei, "InvalidArgumentException")
    # PutRecords with one oversized entry: rejected as a whole (AWS's type here is not captured)
    with pytest.raises(ClientError) as ei:
        kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": "k", "Data": b"ok"},
            {"PartitionKey": "k", "Data": b"x" * (1024 * 1024 + 1)},
        ])
    assert error_status(ei.value) == 400
    assert error_code(ei.value) in ("InvalidArgumentException", "ValidationException")



def test_record_size_includes_partition_key(kinesis, stream1):
    """AWS: "The record size limit applies to the total size of the partition key and data blob."
    Exactly 1 MiB of data plus a 1-character key is over the default 1 MiB limit."""
    name, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x" * (1024 * 1024))
    assert_client_error(ei, "InvalidArgumentException")
    # exactly 1 MiB in total is accepted
    kinesis.put_record(StreamName=name, PartitionKey="kk", Data=b"x" * (1024 * 1024 - 2))

def test_partition_key_empty(raw, stream1):
    name, _ = stream1
    r = raw.json("PutRecord", {"StreamName": name, "PartitionKey": "", "Data": b64(b"x")})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_partition_key_257(kinesis, stream1):
    name, _ = stream1
    key = "k" * 257
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey=key, Data=b"x")
    assert_client_error(ei, "ValidationException", (
        f"1 validation error detected: Value '{key}' at 'partitionKey' failed to satisfy "
        "constraint: Member must have length less than or equal to 256"
    ))
    kinesis.put_record(StreamName=name, PartitionKey="k" * 256, Data=b"x")  # 256 is fine


def test_put_records_entry_paths(raw, stream1):
    name, _ = stream1
    r = raw.json("PutRecords", {"StreamName": name, "Records": [
        {"PartitionKey": "ok", "Data": b64(b"x")},
        {"PartitionKey": "", "Data": b64(b"x"), "ExplicitHashKey": ""},
    ]})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry("", "records.2.member.partitionKey", "Member must have length greater than or equal to 1"),
        entry("", "records.2.member.explicitHashKey",
              "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"),
    )


def test_explicit_hash_key_out_of_range(kinesis, stream1):
    name, _ = stream1
    too_big = str(2**128)
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x", ExplicitHashKey=too_big)
    assert_client_error(ei, "InvalidArgumentException", (
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {too_big}"
    ))
    biggest = "9" * 39
    with pytest.raises(ClientError) as ei:
        kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": "k", "Data": b"x"},
            {"PartitionKey": "k", "Data": b"x", "ExplicitHashKey": biggest},
        ])
    assert_client_error(ei, "InvalidArgumentException", (
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {biggest}"
    ))


@pytest.mark.parametrize("bad", ["abc", "a1"])
def test_explicit_hash_key_pattern(kinesis, stream1, bad):
    name, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x", ExplicitHashKey=bad)
    assert_client_error(ei, "ValidationException", (
        f"1 validation error detected: Value '{bad}' at 'explicitHashKey' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
    ))


def test_put_records_zero_records(raw, stream1):
    name, _ = stream1
    r = raw.json("PutRecords", {"StreamName": name, "Records": []})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_put_records_501_records(kinesis, stream1):
    name, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.put_records(
            StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x"}] * 501
        )
    assert_client_error(ei, "ValidationException")
    msg = error_message(ei.value)
    n, entries = parse_validation(msg)
    assert n == 1
    # the list renders as Java toString of 501 PutRecordsRequestEntry objects
    assert entries[0].startswith("Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@"), msg[:200]
    assert entries[0].count("PutRecordsRequestEntry@") == 501
    assert entries[0].endswith(
        "]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
    )
    # 500 is fine
    resp = kinesis.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
    assert resp["FailedRecordCount"] == 0 and len(resp["Records"]) == 500


def test_sequence_number_for_ordering_invalid(kinesis, stream1):
    name, _ = stream1
    bad = "9" * 60  # matches the pattern but is no Kinesis sequence number
    with pytest.raises(ClientError) as ei:
        kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x", SequenceNumberForOrdering=bad)
    assert_client_error(ei, "InvalidArgumentException", (
        f"ExclusiveMinimumSequenceNumber {bad} used in PutRecord on stream {name} "
        f"under account {ACCOUNT} is invalid."
    ))


# --------------------------------------------------------------------------- iterators


def test_invalid_iterator_strings(kinesis, stream1):
    name, _ = stream1
    good = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    # flip one character in the middle: must be detected (tamper-proof)
    mid = len(good) // 2
    flipped = good[:mid] + ("A" if good[mid] != "A" else "B") + good[mid + 1:]
    random_b64 = base64.b64encode(b"\x00" * 7 + b"\x01" + b"z" * 180).decode()
    for bad in ["not-an-iterator", "AAAAAAAAAAE=", flipped, random_b64, good[:-4]]:
        with pytest.raises(ClientError) as ei:
            kinesis.get_records(ShardIterator=bad)
        assert_client_error(ei, "InvalidArgumentException", "Invalid ShardIterator.")


def test_iterator_in_double_quotes_is_accepted(kinesis, stream1):
    """AWS-validated (LocalStack): an iterator wrapped in double quotes still works."""
    name, seqs = stream1
    it = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    recs = kinesis.get_records(ShardIterator=f'"{it}"')["Records"]
    assert [r["SequenceNumber"] for r in recs[:3]] == seqs


def test_get_records_limits(raw):
    r = raw.json("GetRecords", {"ShardIterator": "", "Limit": 0})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry(0, "limit", "Member must have value greater than or equal to 1"),
        entry("", "shardIterator", "Member must have length greater than or equal to 1"),
    )
    long_it = "a" * 513
    r = raw.json("GetRecords", {"ShardIterator": long_it, "Limit": 100000})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry(100000, "limit", "Member must have value less than or equal to 10000"),
        entry(long_it, "shardIterator", "Member must have length less than or equal to 512"),
    )


def test_shard_iterator_type_enum(raw, stream1):
    name, _ = stream1
    r = raw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                      "ShardIteratorType": "FOO"})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value 'FOO' at 'shardIteratorType' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
    )


def test_iterator_argument_combinations(kinesis, stream1):
    name, seqs = stream1
    for t in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with pytest.raises(ClientError) as ei:
            kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType=t)
        assert_client_error(ei, "InvalidArgumentException",
                            ITER_ARGS_TEXT.format(t=t, tail="no StartingSequenceNumber"))
    for t in ("TRIM_HORIZON", "LATEST"):
        with pytest.raises(ClientError) as ei:
            kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType=t,
                                       StartingSequenceNumber=seqs[0])
        assert_client_error(ei, "InvalidArgumentException",
                            ITER_ARGS_TEXT.format(t=t, tail="also a StartingSequenceNumber"))
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="AT_TIMESTAMP")
    assert_client_error(ei, "InvalidArgumentException", (
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
        "Current request has no timestamp parameter."
    ))


def test_at_timestamp_in_future(raw, stream1):
    """Text known only from kinesalite's code (not AWS-captured): type and prefix."""
    name, _ = stream1
    future = time.time() + 3600
    r = raw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                      "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": future})
    body = assert_raw_error(r, "InvalidArgumentException")
    assert body["message"].startswith(
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis."
    ), body


def test_starting_sequence_number_pattern(raw, stream1):
    name, _ = stream1
    r = raw.json("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                      "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                      "StartingSequenceNumber": "abc"})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value 'abc' at 'startingSequenceNumber' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"
    )


def test_starting_sequence_number_unparseable(kinesis, stream1):
    name, _ = stream1
    bad = "9" * 60
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                   ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=bad)
    assert_client_error(ei, "InvalidArgumentException", (
        f"StartingSequenceNumber {bad} used in GetShardIterator on shard {shard_id(0)} "
        f"in stream {name} under account {ACCOUNT} is invalid."
    ))


def test_sequence_number_of_another_shard(kinesis):
    name = create_stream(kinesis, 2)
    # find a key that lands on shard 1
    for i in range(100):
        r = kinesis.put_record(StreamName=name, PartitionKey=f"k{i}", Data=b"x")
        if r["ShardId"] == shard_id(1):
            seq1 = r["SequenceNumber"]
            break
    else:
        pytest.fail("no key hashed to shard 1")
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                   ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq1)
    assert_client_error(ei, "InvalidArgumentException", (
        f"Invalid StartingSequenceNumber. It encodes {shard_id(1)}, while it was used in a call "
        f"to a shard with {shard_id(0)}"
    ))


def test_sequence_number_of_another_stream(kinesis):
    a = create_stream(kinesis, 1)
    seq = kinesis.put_record(StreamName=a, PartitionKey="k", Data=b"x")["SequenceNumber"]
    time.sleep(1.1)  # shard creation time is encoded in whole seconds
    b = create_stream(kinesis, 1)
    with pytest.raises(ClientError) as ei:
        kinesis.get_shard_iterator(StreamName=b, ShardId=shard_id(0),
                                   ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert_client_error(ei, "InvalidArgumentException", (
        f"StartingSequenceNumber {seq} used in GetShardIterator on shard {shard_id(0)} in stream {b} "
        f"under account {ACCOUNT} is invalid because it did not come from this stream."
    ))


# --------------------------------------------------------------------------- retention


def test_retention_bounds_and_direction(kinesis):
    name = create_stream(kinesis, 1)
    with pytest.raises(ClientError) as ei:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8761)
    assert_client_error(ei, "InvalidArgumentException", (
        "Maximum allowed retention period is 8760 hours. "
        "Requested retention period (8761 hours) is too long."
    ))
    with pytest.raises(ClientError) as ei:
        kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=23)
    assert_client_error(ei, "InvalidArgumentException", (
        "Minimum allowed retention period is 24 hours. "
        "Requested retention period (23 hours) is too short."
    ))
    with pytest.raises(ClientError) as ei:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=12)
    assert_client_error(ei, "InvalidArgumentException", (
        "Minimum allowed retention period is 24 hours. "
        "Requested retention period (12 hours) is too short."
    ))
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    with pytest.raises(ClientError) as ei:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=36)
    assert_client_error(ei, "InvalidArgumentException", (
        f"Requested retention period (36 hours) for stream {name} can not be shorter than "
        "existing retention period (48 hours). Use DecreaseRetentionPeriod API."
    ))
    with pytest.raises(ClientError) as ei:
        kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    assert_client_error(ei, "InvalidArgumentException", (
        f"Requested retention period (72 hours) for stream {name} can not be longer than "
        "existing retention period (48 hours). Use IncreaseRetentionPeriod API."
    ))
    # equal to the current value: accepted no-ops
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 48


# --------------------------------------------------------------------------- tags


def test_too_many_tags(kinesis, raw):
    name = create_stream(kinesis, 1)
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as ei:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"one-more": "v"})
    assert_client_error(ei, "InvalidArgumentException")
    # captured when the limit was 10; the count in the text is the current limit (50)
    assert error_message(ei.value).startswith(
        f"Failed to add tags to stream {name} under account {ACCOUNT} because a given stream "
        "cannot have more than "
    ), error_message(ei.value)
    assert len(kinesis.list_tags_for_stream(StreamName=name, Limit=50)["Tags"]) == 50
    # overwriting existing keys does not count as new tags
    kinesis.add_tags_to_stream(StreamName=name, Tags={"k0": "changed"})

    tags = {f"t{i}": "v" for i in range(201)}
    r = raw.json("AddTagsToStream", {"StreamName": name, "Tags": tags})
    body = assert_raw_error(r, "ValidationException")
    n, entries = parse_validation(body["message"])
    assert n == 1
    assert entries[0].startswith("Value '{") and entries[0].endswith(
        "}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200"
    ), body


def test_empty_tags_map(raw, stream1):
    name, _ = stream1
    r = raw.json("AddTagsToStream", {"StreamName": name, "Tags": {}})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_invalid_tag_characters(kinesis, stream1):
    name, _ = stream1
    with pytest.raises(ClientError) as ei:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"a;b": "c"})
    assert_client_error(ei, "InvalidArgumentException", (
        "Some tags contain invalid characters. Valid characters: "
        "Unicode letters, digits, white space, _ . / = + - % @."
    ))


# --------------------------------------------------------------------------- missing members


def test_missing_required_members(raw, stream1):
    name, _ = stream1
    r = raw.json("PutRecord", {"StreamName": name})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry(None, "partitionKey", "Member must not be null"),
        entry(None, "data", "Member must not be null"),
    )
    r = raw.json("GetShardIterator", {"StreamName": name})
    body = assert_raw_error(r, "ValidationException")
    assert_validation(
        body["message"],
        entry(None, "shardId", "Member must not be null"),
        entry(None, "shardIteratorType", "Member must not be null"),
    )
    r = raw.json("GetRecords", {})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'shardIterator' failed to satisfy "
        "constraint: Member must not be null"
    )
    r = raw.json("CreateStream", {"ShardCount": 1})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'streamName' failed to satisfy "
        "constraint: Member must not be null"
    )
    r = raw.json("IncreaseStreamRetentionPeriod", {"StreamName": name})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy "
        "constraint: Member must not be null"
    )
    r = raw.json("TagResource", {"ResourceARN": stream_arn(name)})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'tags' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_neither_stream_name_nor_arn(raw):
    """AWS's text for this ARN-era case is not captured: a 400 client error, not a crash."""
    for op in ("DescribeStreamSummary", "DescribeStream", "PutRecord"):
        payload = {} if op != "PutRecord" else {"PartitionKey": "k", "Data": b64(b"x")}
        r = raw.json(op, payload)
        assert r.status == 400, (op, r)
        assert r.error_type()[0] in ("ValidationException", "InvalidArgumentException"), (op, r)


def test_list_shards_name_and_token_rules(kinesis, raw, stream1):
    name, _ = stream1
    r = raw.json("ListShards", {})
    assert_raw_error(r, "InvalidArgumentException",
                     message="Either NextToken or StreamName should be provided.")
    token = kinesis.list_shards(StreamName=create_stream(kinesis, 3), MaxResults=1)["NextToken"]
    r = raw.json("ListShards", {"StreamName": name, "NextToken": token})
    assert_raw_error(r, "InvalidArgumentException",
                     message="NextToken and StreamName cannot be provided together.")
    r = raw.json("ListShards", {"NextToken": "garbage-token"})
    assert_raw_error(r, "InvalidArgumentException")  # text not captured


def test_limits_on_list_operations(raw, stream1):
    name, _ = stream1
    cases = [
        ("DescribeStream", {"StreamName": name, "Limit": 0}, "limit", 0,
         "Member must have value greater than or equal to 1"),
        ("DescribeStream", {"StreamName": name, "Limit": 10001}, "limit", 10001,
         "Member must have value less than or equal to 10000"),
        ("ListStreams", {"Limit": 0}, "limit", 0, "Member must have value greater than or equal to 1"),
        ("ListShards", {"StreamName": name, "MaxResults": 0}, "maxResults", 0,
         "Member must have value greater than or equal to 1"),
        ("ListShards", {"StreamName": name, "MaxResults": 10001}, "maxResults", 10001,
         "Member must have value less than or equal to 10000"),
        ("ListTagsForStream", {"StreamName": name, "Limit": 51}, "limit", 51,
         "Member must have value less than or equal to 50"),
    ]
    for op, payload, path, value, constraint in cases:
        r = raw.json(op, payload)
        body = assert_raw_error(r, "ValidationException")
        assert body["message"] == f"1 validation error detected: {entry(value, path, constraint)}", (op, body)


def test_bad_stream_arn_pattern(raw):
    arn = "arn:aws:kinesis:us-east-1:000000000000:notastream"
    r = raw.json("DescribeStreamSummary", {"StreamARN": arn})
    body = assert_raw_error(r, "ValidationException")
    assert body["message"] == (
        f"1 validation error detected: Value '{arn}' at 'streamARN' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"
    )


# --------------------------------------------------------------------------- SerializationException


@pytest.mark.parametrize(
    "op,payload,message",
    [
        ("CreateStream", {"StreamName": "x", "ShardCount": "one"},
         "class java.lang.String can not be converted to an Integer"),
        ("CreateStream", {"StreamName": True, "ShardCount": 1},
         "class java.lang.Boolean can not be converted to an String"),
        ("DescribeStream", {"StreamName": 23},
         "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
        ("DescribeStream", {"StreamName": []}, "Start of list found where not expected"),
        ("DescribeStream", {"StreamName": {}}, "Start of structure or map found where not expected."),
        ("PutRecord", {"StreamName": "x", "PartitionKey": "k", "Data": True},
         "class java.lang.Boolean can not be converted to a Blob"),
        ("PutRecord", {"StreamName": "x", "PartitionKey": "k", "Data": "23456"},
         "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("PutRecords", {"StreamName": "x", "Records": "nope"}, "Expected list or null"),
        ("AddTagsToStream", {"StreamName": "x", "Tags": []}, "Start of list found where not expected"),
        ("AddTagsToStream", {"StreamName": "x", "Tags": "a=b"}, "Expected map or null"),
        ("GetShardIterator", {"StreamName": "x", "ShardId": "shardId-000000000000",
                              "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": "yesterday"},
         "class java.lang.String can not be converted to milliseconds since epoch"),
        ("ListShards", {"StreamName": "x", "ShardFilter": "AT_LATEST"}, "Expected null"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 25 else None,
)
def test_serialization_exception(raw, op, payload, message):
    r = raw.json(op, payload)
    body = assert_raw_error(r, "SerializationException", message=message, message_key="Message")
    assert "message" not in body


@pytest.mark.parametrize("body", [b"{", b"not json", b"42", b'"str"', b"null"])
def test_unparseable_body(raw, body):
    r = raw.send(TARGET_PREFIX + "ListStreams", body)
    t, parsed = r.error_type()
    assert r.status == 400, r
    assert t == "SerializationException", r


def test_empty_body_is_serialization_exception(raw):
    r = raw.send(TARGET_PREFIX + "ListStreams", b"")
    assert_raw_error(r, "SerializationException")


def test_unknown_members_and_nulls_are_ignored(raw, stream1):
    name, _ = stream1
    r = raw.json("DescribeStreamSummary", {"StreamName": name, "NoSuchMember": 1, "StreamARN": None})
    assert r.status == 200, r
    assert r.json()["StreamDescriptionSummary"]["StreamName"] == name


# --------------------------------------------------------------------------- operations / wire


@pytest.mark.parametrize("target", [
    TARGET_PREFIX + "NoSuchOperation",
    "Kinesis_20131201.ListStreams",
    "DynamoDB_20120810.ListTables",
    "ListStreams",
])
def test_unknown_operation_raw(raw, target):
    r = raw.send(target, b"{}")
    body = assert_raw_error(r, "UnknownOperationException")
    assert "message" not in body or body["message"] in (None, ""), body


def test_missing_target(raw):
    r = raw.send(None, b"{}")
    assert_raw_error(r, "UnknownOperationException")


@pytest.mark.parametrize("op", ["NoSuchOperation", "DescribeStreams", "putRecord"])
def test_operations_kinesis_does_not_have(raw, op):
    r = raw.json(op, {"StreamName": "x"})
    assert_raw_error(r, "UnknownOperationException")


def test_no_output_operations_return_empty_body(raw):
    name = unique_name("empty")
    r = raw.json("CreateStream", {"StreamName": name, "ShardCount": 1})
    assert r.status == 200, r
    assert r.content == b""
    assert r.headers.get("Content-Type", "").startswith("application/x-amz-json-1.1")
    r = raw.json("AddTagsToStream", {"StreamName": name, "Tags": {"a": "b"}})
    assert r.status == 200 and r.content == b"", r
    r = raw.json("DeleteStream", {"StreamName": name})
    assert r.status == 200 and r.content == b"", r


def test_error_body_shape(raw):
    name = unique_name("missing")
    r = raw.json("DescribeStream", {"StreamName": name})
    body = assert_raw_error(r, "ResourceNotFoundException", message=not_found(name))
    assert set(body) == {"__type", "message"}
    assert r.headers.get("Content-Type", "").startswith("application/x-amz-json-1.1")


def test_application_json_content_type_is_accepted(raw, stream1):
    name, _ = stream1
    r = raw.json("DescribeStreamSummary", {"StreamName": name}, content_type="application/json")
    assert r.status == 200, r
    assert r.json()["StreamDescriptionSummary"]["StreamName"] == name


def test_missing_authentication(raw):
    """No Authorization header at all (presence check, not signature verification)."""
    r = raw.send(TARGET_PREFIX + "ListStreams", b"{}", sign=False)
    assert_raw_error(r, "MissingAuthenticationTokenException", message="Missing Authentication Token")
