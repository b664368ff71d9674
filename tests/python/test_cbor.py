"""A raw CBOR client that talks to riffle the way the Java SDK v2 does.

Requests: SigV4-signed POST, Content-Type application/x-amz-cbor-1.1, X-Amz-Target header,
cbor2-encoded bodies; blobs are CBOR byte strings and timestamps are tag 1 wrapping an
INTEGER number of epoch MILLISECONDS (AWS's quirk; the Java SDK v2 relies on it).

Responses are decoded with the small strict decoder below (not cbor2's), so that tags stay
visible: tag 1 must come back wrapping an integer of milliseconds, blobs as byte strings.
Definite and indefinite lengths are both accepted (AWS sends indefinite-length maps).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

import cbor2
import pytest

from conftest import ACCOUNT, TARGET_PREFIX, make_client, shard_id, stream_arn, unique_name

CBOR = "application/x-amz-cbor-1.1"


# --------------------------------------------------------------------------- strict decoder


@dataclass(frozen=True)
class Tag:
    tag: int
    value: object


class Undefined:
    pass


class Decoder:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated CBOR")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def arg(self, info: int):
        if info < 24:
            return info
        if info == 24:
            return self.byte()
        if info == 25:
            return struct.unpack(">H", self.take(2))[0]
        if info == 26:
            return struct.unpack(">I", self.take(4))[0]
        if info == 27:
            return struct.unpack(">Q", self.take(8))[0]
        if info == 31:
            return None  # indefinite
        raise ValueError(f"bad additional info {info}")

    def item(self):
        ib = self.byte()
        major, info = ib >> 5, ib & 31
        if major == 7:
            if info == 20:
                return False
            if info == 21:
                return True
            if info == 22:
                return None
            if info == 23:
                return Undefined()
            if info == 25:
                return struct.unpack(">e", self.take(2))[0]
            if info == 26:
                return struct.unpack(">f", self.take(4))[0]
            if info == 27:
                return struct.unpack(">d", self.take(8))[0]
            if info == 31:
                return _BREAK
            raise ValueError(f"simple value {info}")
        n = self.arg(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            if n is None:
                chunks = []
                while True:
                    c = self.item()
                    if c is _BREAK:
                        break
                    assert isinstance(c, (bytes if major == 2 else str)), "bad chunk"
                    chunks.append(c)
                return (b"" if major == 2 else "").join(chunks)
            raw = self.take(n)
            return raw if major == 2 else raw.decode("utf-8")
        if major == 4:
            out = []
            while n is None or len(out) < n:
                v = self.item()
                if v is _BREAK:
                    assert n is None
                    break
                out.append(v)
            return out
        if major == 5:
            out = {}
            count = 0
            while n is None or count < n:
                k = self.item()
                if k is _BREAK:
                    assert n is None
                    break
                out[k] = self.item()
                count += 1
            return out
        if major == 6:
            return Tag(n, self.item())
        raise ValueError(major)


_BREAK = object()


def decode(data: bytes):
    d = Decoder(data)
    v = d.item()
    assert d.pos == len(data), f"trailing bytes after CBOR item ({len(data) - d.pos})"
    return v


def ms_tag(ms: int):
    return cbor2.CBORTag(1, int(ms))


def now_ms() -> int:
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- client


class CborClient:
    def __init__(self, raw):
        self.raw = raw

    def call(self, op: str, payload: dict, expect_status: int = 200):
        r = self.raw.send(TARGET_PREFIX + op, cbor2.dumps(payload), content_type=CBOR)
        assert r.status == expect_status, (op, r.status, r.content[:300])
        if not r.content:
            return r, None
        assert r.headers.get("Content-Type", "").startswith(CBOR), (op, dict(r.headers))
        return r, decode(r.content)


@pytest.fixture(scope="module")
def cbor(raw):
    return CborClient(raw)


def assert_ms_timestamp(v, near_ms: int | None = None, slack_ms: int = 120_000):
    assert isinstance(v, Tag), f"timestamp must be CBOR tag 1, got {v!r}"
    assert v.tag == 1, v
    assert isinstance(v.value, int) and not isinstance(v.value, bool), (
        f"tag 1 must wrap an integer of epoch milliseconds, got {v.value!r}"
    )
    # milliseconds, not seconds: 2020-01-01 in ms is 1.5e12
    assert v.value > 1_500_000_000_000, f"{v.value} looks like seconds, not milliseconds"
    if near_ms is not None:
        assert abs(v.value - near_ms) < slack_ms, (v.value, near_ms)
    return v.value


# --------------------------------------------------------------------------- tests


def test_cbor_round_trip(cbor, kinesis):
    name = unique_name("cbor")
    t_create = now_ms()
    cbor.call("CreateStream", {"StreamName": name, "ShardCount": 1})

    _, summ = cbor.call("DescribeStreamSummary", {"StreamName": name})
    s = summ["StreamDescriptionSummary"]
    assert s["StreamName"] == name
    assert s["StreamStatus"] == "ACTIVE"
    assert s["OpenShardCount"] == 1
    assert s["StreamARN"] == stream_arn(name)
    assert_ms_timestamp(s["StreamCreationTimestamp"], near_ms=t_create)

    # PutRecord with Data as a CBOR byte string (not base64 text)
    payloads = [bytes(range(256)), b"", b"hello cbor", b"\xff" * 1000]
    seqs = []
    for i, data in enumerate(payloads):
        _, out = cbor.call("PutRecord", {"StreamName": name, "PartitionKey": f"pk{i}", "Data": data})
        assert out["ShardId"] == shard_id(0)
        assert isinstance(out["SequenceNumber"], str) and len(out["SequenceNumber"]) == 56
        seqs.append(out["SequenceNumber"])

    _, out = cbor.call("PutRecords", {"StreamName": name, "Records": [
        {"PartitionKey": "a", "Data": b"batch-1"},
        {"PartitionKey": "b", "Data": b"batch-2"},
    ]})
    assert out["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in out["Records"]] == [shard_id(0)] * 2
    seqs += [r["SequenceNumber"] for r in out["Records"]]
    payloads += [b"batch-1", b"batch-2"]

    _, it = cbor.call("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                           "ShardIteratorType": "TRIM_HORIZON"})
    _, got = cbor.call("GetRecords", {"ShardIterator": it["ShardIterator"]})
    recs = got["Records"]
    assert [r["SequenceNumber"] for r in recs] == seqs
    for r, data in zip(recs, payloads):
        assert isinstance(r["Data"], bytes), f"Data must be a CBOR byte string, got {type(r['Data'])}"
        assert r["Data"] == data
        assert_ms_timestamp(r["ApproximateArrivalTimestamp"], near_ms=now_ms())
    assert isinstance(got["MillisBehindLatest"], int)
    assert isinstance(got["NextShardIterator"], str)

    # the same records through JSON: identical arrival times at millisecond precision
    k = kinesis
    jit = k.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                               ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    jrecs = k.get_records(ShardIterator=jit)["Records"]
    assert [r["Data"] for r in jrecs] == payloads
    for jr, cr in zip(jrecs, recs):
        j_ms = round(jr["ApproximateArrivalTimestamp"].timestamp() * 1000)
        assert j_ms == cr["ApproximateArrivalTimestamp"].value


def test_cbor_at_timestamp_millis(cbor):
    name = unique_name("cborts")
    cbor.call("CreateStream", {"StreamName": name, "ShardCount": 1})
    _, a = cbor.call("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": b"A"})
    time.sleep(0.03)
    cut = now_ms()
    time.sleep(0.03)
    _, b = cbor.call("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": b"B"})

    def first_at(ts_ms):
        _, it = cbor.call("GetShardIterator", {
            "StreamName": name, "ShardId": shard_id(0),
            "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ms_tag(ts_ms),
        })
        _, got = cbor.call("GetRecords", {"ShardIterator": it["ShardIterator"]})
        return got["Records"]

    recs = first_at(cut)
    assert [r["Data"] for r in recs] == [b"B"], "AT_TIMESTAMP must honour milliseconds (tag 1 = ms)"
    assert recs[0]["SequenceNumber"] == b["SequenceNumber"]

    # a record's own arrival time is an inclusive start; one ms later excludes it
    all_recs = first_at(cut - 60_000)
    assert [r["Data"] for r in all_recs] == [b"A", b"B"]
    a_ms = all_recs[0]["ApproximateArrivalTimestamp"].value
    b_ms = all_recs[1]["ApproximateArrivalTimestamp"].value
    assert a_ms < cut <= b_ms
    assert [r["Data"] for r in first_at(a_ms)] == [b"A", b"B"]
    assert [r["Data"] for r in first_at(a_ms + 1)] == [b"B"]
    assert [r["Data"] for r in first_at(b_ms)] == [b"B"]


def test_cbor_list_shards_with_timestamp_filter(cbor):
    name = unique_name("cborls")
    cbor.call("CreateStream", {"StreamName": name, "ShardCount": 2})
    _, out = cbor.call("ListShards", {"StreamName": name, "ShardFilter": {
        "Type": "FROM_TIMESTAMP", "Timestamp": ms_tag(now_ms())}})
    assert [s["ShardId"] for s in out["Shards"]] == [shard_id(0), shard_id(1)]
    _, out = cbor.call("ListStreams", {"Limit": 10000})
    assert name in out["StreamNames"]
    summ = {s["StreamName"]: s for s in out["StreamSummaries"]}[name]
    assert_ms_timestamp(summ["StreamCreationTimestamp"], near_ms=now_ms())


def test_cbor_error_body(cbor):
    name = unique_name("nope")
    r, body = cbor.call("DescribeStream", {"StreamName": name}, expect_status=400)
    assert isinstance(body, dict), body
    assert body["__type"].rsplit("#", 1)[-1] == "ResourceNotFoundException"
    assert body["message"] == f"Stream {name} under account {ACCOUNT} not found."
    assert any(k.lower() == "x-amzn-requestid" for k in r.headers)

    r, body = cbor.call("PutRecord", {"StreamName": name, "PartitionKey": "", "Data": b"x"},
                        expect_status=400)
    assert body["__type"] == "ValidationException"
    assert body["message"] == (
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_cbor_unknown_operation(cbor):
    r, body = cbor.call("NoSuchOperation", {}, expect_status=400)
    assert body["__type"].rsplit("#", 1)[-1] == "UnknownOperationException"


def test_cbor_garbage_body(raw):
    r = raw.send(TARGET_PREFIX + "ListStreams", b"\xff\xfe\x00garbage", content_type=CBOR)
    assert r.status == 400, r
    assert r.headers.get("Content-Type", "").startswith(CBOR)
    body = decode(r.content)
    assert body["__type"].rsplit("#", 1)[-1] == "SerializationException"


def test_cbor_wrong_type_is_serialization_exception(raw):
    # Data as an integer instead of a byte string
    body = cbor2.dumps({"StreamName": "x", "PartitionKey": "k", "Data": 12})
    r = raw.send(TARGET_PREFIX + "PutRecord", body, content_type=CBOR)
    assert r.status == 400, r
    assert decode(r.content)["__type"].rsplit("#", 1)[-1] == "SerializationException"


def test_cbor_indefinite_length_request(raw):
    """The Java SDK may stream maps with indefinite lengths: they must be accepted."""
    name = unique_name("indef")
    # {_ "StreamName": name, "ShardCount": 1} with an indefinite-length map
    enc = b"\xbf" + cbor2.dumps("StreamName") + cbor2.dumps(name) + cbor2.dumps("ShardCount") + \
        cbor2.dumps(1) + b"\xff"
    r = raw.send(TARGET_PREFIX + "CreateStream", enc, content_type=CBOR)
    assert r.status == 200, r
    k = make_client(raw.endpoint)
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 1
