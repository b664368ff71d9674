"""The aws CLI (v1) exercise from the seed wiki page, run against riffle.

    aws kinesis list-streams
    aws kinesis describe-stream --stream-name S
    for i in `seq 01 99`; do aws kinesis put-record --stream-name S --data "Test Data $i" --partition-key "$i"; done
    aws kinesis get-shard-iterator --stream-name S --shard-id shardId-000000000001 --shard-iterator-type TRIM_HORIZON
    aws kinesis get-records --shard-iterator ITER --limit 10

The loop runs 1..20 (each CLI start costs ~0.7 s) in one shell, as a user would type it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

import pytest

from conftest import ACCOUNT, REGION, hash_ranges, shard_for_key, shard_id, stream_arn, unique_name

N_PUTS = 20


def aws_env(tmp_path):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    env.update(
        AWS_ACCESS_KEY_ID="AKIDCLITEST",
        AWS_SECRET_ACCESS_KEY="cli-secret",
        AWS_DEFAULT_REGION=REGION,
        AWS_MAX_ATTEMPTS="1",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_PAGER="",
    )
    return env


@pytest.fixture
def aws(riffle, tmp_path):
    exe = shutil.which("aws")
    if exe is None:
        pytest.fail("aws CLI not installed (pip install -r tests/python/requirements.txt)")
    env = aws_env(tmp_path)

    def run(*args, parse=True):
        cmd = [exe, "kinesis", *args, "--endpoint-url", riffle.endpoint, "--output", "json"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{' '.join(args)} failed ({p.returncode}):\n{p.stderr}"
        if not parse:
            return p.stdout
        return json.loads(p.stdout) if p.stdout.strip() else None

    run.env = env
    run.exe = exe
    return run


def test_cli_seed_exercise(aws, riffle):
    name = unique_name("cli")
    assert aws("create-stream", "--stream-name", name, "--shard-count", "2") is None

    listed = aws("list-streams")
    assert name in listed["StreamNames"]

    desc = aws("describe-stream", "--stream-name", name)["StreamDescription"]
    assert desc["StreamName"] == name
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["StreamARN"] == stream_arn(name)
    ranges = hash_ranges(2)
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(0), shard_id(1)]
    assert [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
            for s in desc["Shards"]] == ranges

    # the loop from the seed, in one shell, printing one JSON document per put
    script = (
        f'for i in `seq 01 {N_PUTS}`; do '
        f'"{aws.exe}" kinesis put-record --stream-name {name} --data "Test Data $i" '
        f'--partition-key "$i" --endpoint-url {riffle.endpoint} --output json || exit 1; done'
    )
    p = subprocess.run(["bash", "-c", script], env=aws.env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    decoder = json.JSONDecoder()
    outs, pos, text = [], 0, p.stdout.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        outs.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    assert len(outs) == N_PUTS
    for i, out in enumerate(outs, start=1):
        assert out["ShardId"] == shard_for_key(str(i), 2), (i, out)
        assert out["SequenceNumber"].isdigit() and len(out["SequenceNumber"]) == 56

    it = aws("get-shard-iterator", "--stream-name", name, "--shard-id", "shardId-000000000001",
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = aws("get-records", "--shard-iterator", it, "--limit", "10")

    expected_keys = [str(i) for i in range(1, N_PUTS + 1) if shard_for_key(str(i), 2) == shard_id(1)]
    assert len(expected_keys) >= 3  # keys 1..20 do reach shard 1
    expected = expected_keys[:10]
    recs = got["Records"]
    assert [r["PartitionKey"] for r in recs] == expected
    # the CLI prints Data base64-encoded; decoded it is the text that was put
    assert [base64.b64decode(r["Data"]).decode() for r in recs] == [f"Test Data {k}" for k in expected]
    seq_by_key = {str(i): o["SequenceNumber"] for i, o in enumerate(outs, start=1)}
    assert [r["SequenceNumber"] for r in recs] == [seq_by_key[k] for k in expected]
    assert got["NextShardIterator"] and got["NextShardIterator"] != it
    assert "MillisBehindLatest" in got

    # continue reading from NextShardIterator: the rest of shard 1, then nothing
    rest = aws("get-records", "--shard-iterator", got["NextShardIterator"], "--limit", "10")
    assert [r["PartitionKey"] for r in rest["Records"]] == expected_keys[10:20]


def test_cli_error_exit_code(aws, riffle):
    """A missing stream makes the CLI exit non-zero with AWS's error name in stderr."""
    name = unique_name("nope")
    p = subprocess.run(
        [aws.exe, "kinesis", "describe-stream", "--stream-name", name, "--endpoint-url", riffle.endpoint],
        env=aws.env, capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 254 or p.returncode == 255, (p.returncode, p.stderr)
    assert "ResourceNotFoundException" in p.stderr
    assert f"Stream {name} under account {ACCOUNT} not found." in p.stderr
