"""The KPL aggregated-record format of `riffle put` / `riffle tail` (the riffle-client crate)
against the Python `aws-kinesis-agg` package from PyPI, in both directions, through a real
server and boto3."""

from __future__ import annotations

import base64
import json
import subprocess

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import iter_deaggregate_records

from conftest import RIFFLE_BIN, unique_name, wait_active


def run_riffle(riffle, *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [RIFFLE_BIN, *args, "--endpoint", riffle.endpoint],
        input=stdin, capture_output=True, text=True, timeout=60, check=True,
    )
    return out.stdout


def read_all(kinesis, name: str) -> list[dict]:
    records = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = kinesis.get_records(ShardIterator=it)
            if not out["Records"]:
                break
            records.extend(out["Records"])
            it = out.get("NextShardIterator")
    return records


def test_riffle_aggregates_what_aws_kinesis_agg_deaggregates(riffle, kinesis):
    name = unique_name("agg")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    lines = [json.dumps({"user": f"u{i % 5}", "n": i, "text": "é" * (i % 3)}) for i in range(400)]
    run_riffle(riffle, "put", name, "--key", "field:user", stdin="\n".join(lines) + "\n")
    kinesis_records = read_all(kinesis, name)
    assert len(kinesis_records) < 100, "the producer aggregated"
    users = list(iter_deaggregate_records(kinesis_records, data_format="Boto3"))
    assert len(users) == 400
    # The package hands data back base64-encoded, as Lambda delivers it.
    for u in users:
        u["kinesis"]["data"] = base64.b64decode(u["kinesis"]["data"])
    got = sorted((json.loads(u["kinesis"]["data"])["n"], u["kinesis"]["partitionKey"]) for u in users)
    assert got == [(i, f"u{i % 5}") for i in range(400)]
    # Per key, the sub-sequence numbers order the records as they were put.
    by_key: dict[str, list[int]] = {}
    for u in users:
        by_key.setdefault(u["kinesis"]["partitionKey"], []).append(json.loads(u["kinesis"]["data"])["n"])
    assert all(v == sorted(v) for v in by_key.values())


def test_aws_kinesis_agg_records_deaggregate_in_riffle_tail(riffle, kinesis):
    name = unique_name("agg")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    agg = RecordAggregator()
    sent = []
    for i in range(50):
        key, data = f"key-{i % 4}", f"python record {i}"
        ehk = str(12345 + i) if i % 10 == 0 else None
        done = agg.add_user_record(key, data.encode(), ehk)
        sent.append((key, data))
        assert done is None, "all 50 fit one aggregated record"
    pk, ehk, data = agg.clear_and_get().get_contents()
    kinesis.put_record(StreamName=name, PartitionKey=pk, ExplicitHashKey=ehk, Data=data)
    kinesis.put_record(StreamName=name, PartitionKey="plain", Data=b"not aggregated")
    out = run_riffle(riffle, "tail", name, "--from", "trim-horizon", "--count", "51", "--json")
    rows = [json.loads(l) for l in out.splitlines()]
    assert [(r["partition_key"], r["data"]) for r in rows[:50]] == sent
    assert [r["sub_sequence_number"] for r in rows[:50]] == list(range(50))
    assert len({r["sequence_number"] for r in rows[:50]}) == 1
    assert (rows[50]["data"], rows[50]["sub_sequence_number"]) == ("not aggregated", None)
