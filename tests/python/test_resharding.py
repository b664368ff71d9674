"""Resharding through boto3: SplitShard, MergeShards and UpdateShardCount, with lineage,
ChildShards at the end of a closed parent, AWS's error texts, and no record lost or
duplicated while producers write across the switch."""

import threading

import pytest
from botocore.exceptions import ClientError

from conftest import create_stream, hash_ranges, make_client, md5_hash_key, read_shard, shard_id

HALF = 2**127


def read_all_lineage(k, name):
    """Reads every shard from TRIM_HORIZON; returns {shard_id: [records]} and the
    ChildShards answers seen at the end of closed shards."""
    shards = k.list_shards(StreamName=name)["Shards"]
    out, children = {}, {}
    for sh in shards:
        sid = sh["ShardId"]
        it = k.get_shard_iterator(StreamName=name, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        recs, empties = [], 0
        while it and empties < 2:
            r = k.get_records(ShardIterator=it)
            recs.extend(r["Records"])
            empties = empties + 1 if not r["Records"] else 0
            if r.get("NextShardIterator") is None:
                children[sid] = r.get("ChildShards")
            it = r.get("NextShardIterator")
        out[sid] = recs
    return out, children


def test_split_closes_parent_and_links_children(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    before = k.put_record(StreamName=name, PartitionKey="a", Data=b"before")
    k.split_shard(StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(HALF))
    desc = k.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE"
    parent, lo, hi = desc["Shards"]
    assert parent["SequenceNumberRange"]["EndingSequenceNumber"] == before["SequenceNumber"]
    assert lo["ShardId"] == shard_id(1) and hi["ShardId"] == shard_id(2)
    assert lo["ParentShardId"] == shard_id(0) and hi["ParentShardId"] == shard_id(0)
    assert "AdjacentParentShardId" not in lo
    assert lo["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)}
    assert hi["HashKeyRange"] == {"StartingHashKey": str(HALF), "EndingHashKey": str(2**128 - 1)}
    # Children's sequence numbers sort after the parent's.
    assert int(lo["SequenceNumberRange"]["StartingSequenceNumber"]) > int(before["SequenceNumber"])

    after = k.put_record(StreamName=name, PartitionKey="a", Data=b"after")
    want = shard_id(1) if md5_hash_key("a") < HALF else shard_id(2)
    assert after["ShardId"] == want
    assert int(after["SequenceNumber"]) > int(before["SequenceNumber"])

    # Reading the parent to its end: null iterator plus ChildShards.
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    r = k.get_records(ShardIterator=it)
    assert [x["Data"] for x in r["Records"]] == [b"before"]
    if r.get("NextShardIterator"):
        r = k.get_records(ShardIterator=r["NextShardIterator"])
    assert r.get("NextShardIterator") is None
    assert sorted(c["ShardId"] for c in r["ChildShards"]) == [shard_id(1), shard_id(2)]
    assert all(c["ParentShards"] == [shard_id(0)] for c in r["ChildShards"])

    # AT_LATEST lists only the open children; the default lists all three.
    latest = k.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in latest] == [shard_id(1), shard_id(2)]
    assert len(k.list_shards(StreamName=name)["Shards"]) == 3
    assert k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2


def test_merge_and_update_shard_count(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=2)
    k.merge_shards(StreamName=name, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(1))
    shards = k.list_shards(StreamName=name)["Shards"]
    child = shards[-1]
    assert child["ShardId"] == shard_id(2)
    assert child["ParentShardId"] == shard_id(0) and child["AdjacentParentShardId"] == shard_id(1)
    assert child["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)}

    out = k.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 1 and out["TargetShardCount"] == 2
    open_ranges = [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in k.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    ]
    assert sorted(open_ranges) == hash_ranges(2)
    k.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    open_ranges = [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in k.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    ]
    assert sorted(open_ranges) == hash_ranges(3)

    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName=name, TargetShardCount=7, ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert "cannot scale up over double your current open shard count" in e.value.response["Error"]["Message"]


def test_reshard_errors_use_aws_texts(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=2)
    acct = "000000000000"

    def err(fn, **kw):
        with pytest.raises(ClientError) as e:
            fn(StreamName=name, **kw)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    code, msg = err(k.split_shard, ShardToSplit=shard_id(0), NewStartingHashKey="1")
    assert code == "InvalidArgumentException"
    assert msg.startswith(f"NewStartingHashKey 1 used in SplitShard() on shard {shard_id(0)} in stream {name} under account {acct} is not both greater than one plus the shard's StartingHashKey 0")
    assert err(k.split_shard, ShardToSplit="shardId-000000000009", NewStartingHashKey="5") == (
        "ResourceNotFoundException", f"Could not find shard {shard_id(9)} in stream {name} under account {acct}.")
    assert err(k.merge_shards, ShardToMerge=shard_id(0), AdjacentShardToMerge=shard_id(0))[0] == "InvalidArgumentException"

    k.split_shard(StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(2**126))
    code, msg = err(k.split_shard, ShardToSplit=shard_id(0), NewStartingHashKey=str(2**125))
    assert (code, msg) == ("InvalidArgumentException",
        f"Shard {shard_id(0)} in stream {name} under account {acct} has already been merged or split, and thus is not eligible for merging or splitting.")
    # Children 2 = [0, 2^126-1] and 3 = [2^126, 2^127-1]; shard 1 = [2^127, max].
    code, msg = err(k.merge_shards, ShardToMerge=shard_id(2), AdjacentShardToMerge=shard_id(1))
    assert (code, msg) == ("InvalidArgumentException",
        f"Shards {shard_id(2)} and {shard_id(1)} in stream {name} under account {acct} are not an adjacent pair of shards eligible for merging")
    k.merge_shards(StreamName=name, ShardToMerge=shard_id(3), AdjacentShardToMerge=shard_id(1))

    od = name + "-od"
    k.create_stream(StreamName=od, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName=od, ShardToSplit=shard_id(0), NewStartingHashKey=str(2**64))
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_no_record_lost_or_duplicated_across_reshards(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=2)
    acked, errors, stop = [], [], threading.Event()

    def producer(p):
        c = make_client(fresh_riffle.endpoint)
        i = 0
        while not stop.is_set() and i < 400:
            recs = [{"PartitionKey": f"p{p}-{i}-{j}", "Data": f"p{p}-{i}-{j}".encode()} for j in range(10)]
            try:
                out = c.put_records(StreamName=name, Records=recs)
            except ClientError as e:  # pragma: no cover - reported below
                errors.append(e)
                return
            for rec, res in zip(recs, out["Records"]):
                assert "ErrorCode" not in res, res
                acked.append((res["ShardId"], res["SequenceNumber"], rec["Data"]))
            i += 1

    threads = [threading.Thread(target=producer, args=(p,)) for p in range(3)]
    for t in threads:
        t.start()
    k.split_shard(StreamName=name, ShardToSplit=shard_id(0), NewStartingHashKey=str(2**126))
    k.merge_shards(StreamName=name, ShardToMerge=shard_id(2), AdjacentShardToMerge=shard_id(3))
    k.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    got, children = read_all_lineage(k, name)
    seen = {}
    for sid, recs in got.items():
        for r in recs:
            key = (sid, r["SequenceNumber"])
            assert key not in seen, f"duplicate {key}"
            seen[key] = r["Data"]
    for sid, seq, data in acked:
        assert seen.get((sid, seq)) == data, f"acknowledged record {sid} {seq} missing"
    assert len(seen) == len(acked)
    # Every closed shard ended with ChildShards.
    closed = [s["ShardId"] for s in k.list_shards(StreamName=name)["Shards"] if "EndingSequenceNumber" in s["SequenceNumberRange"]]
    assert closed and all(children.get(c) for c in closed)
