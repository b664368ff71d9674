"""The complete Data Streams API through the aws CLI: resharding, encryption, enhanced
monitoring, stream modes, max record size, account settings, resource policies, the write
limit, and SigV4 verification of the CLI's signatures."""

import json
import shutil
import subprocess

import pytest

from conftest import shard_id, stream_arn
from test_cli import aws_env


@pytest.fixture
def cli(tmp_path):
    exe = shutil.which("aws")
    assert exe, "aws CLI not installed (pip install -r tests/python/requirements.txt)"

    def make(srv, **env_extra):
        env = aws_env(tmp_path)
        env.update(env_extra)

        def run(*args, ok=True):
            cmd = [exe, "kinesis", *args, "--endpoint-url", srv.endpoint, "--output", "json"]
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
            if ok:
                assert p.returncode == 0, f"{' '.join(args)}:\n{p.stderr}"
                return json.loads(p.stdout) if p.stdout.strip() else None
            assert p.returncode != 0, f"{' '.join(args)} should have failed"
            return p.stderr

        return run

    return make


def test_cli_resharding_and_control_plane(riffle_factory, cli):
    srv = riffle_factory()
    aws = cli(srv)
    aws("create-stream", "--stream-name", "c", "--shard-count", "2")
    aws("split-shard", "--stream-name", "c", "--shard-to-split", shard_id(0), "--new-starting-hash-key", str(2**126))
    shards = aws("list-shards", "--stream-name", "c")["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(4)]
    assert shards[2]["ParentShardId"] == shard_id(0)
    aws("merge-shards", "--stream-name", "c", "--shard-to-merge", shard_id(2), "--adjacent-shard-to-merge", shard_id(3))
    out = aws("update-shard-count", "--stream-name", "c", "--target-shard-count", "3", "--scaling-type", "UNIFORM_SCALING")
    assert out["TargetShardCount"] == 3
    err = aws("split-shard", "--stream-name", "c", "--shard-to-split", shard_id(0), "--new-starting-hash-key", "5", ok=False)
    assert "InvalidArgumentException" in err and "has already been merged or split" in err

    aws("start-stream-encryption", "--stream-name", "c", "--encryption-type", "KMS", "--key-id", "alias/aws/kinesis")
    desc = aws("describe-stream", "--stream-name", "c")["StreamDescription"]
    assert desc["EncryptionType"] == "KMS" and desc["KeyId"] == "alias/aws/kinesis"
    put = aws("put-record", "--stream-name", "c", "--partition-key", "k", "--data", "secret")
    assert put["EncryptionType"] == "KMS"
    aws("stop-stream-encryption", "--stream-name", "c", "--encryption-type", "KMS", "--key-id", "alias/aws/kinesis")

    mon = aws("enable-enhanced-monitoring", "--stream-name", "c", "--shard-level-metrics", "IncomingBytes")
    assert mon["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    aws("disable-enhanced-monitoring", "--stream-name", "c", "--shard-level-metrics", "ALL")

    arn = stream_arn("c")
    aws("update-max-record-size", "--stream-arn", arn, "--max-record-size-in-ki-b", "2048")
    assert aws("describe-stream-summary", "--stream-name", "c")["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 2048
    aws("update-stream-mode", "--stream-arn", arn, "--stream-mode-details", "StreamMode=ON_DEMAND")
    assert aws("describe-account-settings")["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"

    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kinesis:GetRecords", "Resource": arn}]})
    aws("put-resource-policy", "--resource-arn", arn, "--policy", policy)
    assert json.loads(aws("get-resource-policy", "--resource-arn", arn)["Policy"]) == json.loads(policy)
    aws("delete-resource-policy", "--resource-arn", arn)


def test_cli_write_limit(riffle_factory, cli, tmp_path):
    # A CLI call takes most of a second, so the per-shard rate is scaled down to 100 records/s
    # (also testing that the rates are configurable): 500 records in one call must exceed it.
    srv = riffle_factory("--limits", "on", "--shard-write-records-per-sec", "100")
    aws = cli(srv)
    aws("create-stream", "--stream-name", "t", "--shard-count", "1")
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"Data": "eA==", "PartitionKey": f"k{i}"} for i in range(500)]))
    out = aws("put-records", "--stream-name", "t", "--records", f"file://{records}")
    assert 0 < out["FailedRecordCount"] <= 400
    bad = [r for r in out["Records"] if "ErrorCode" in r]
    assert bad[0]["ErrorCode"] == "ProvisionedThroughputExceededException"


def test_cli_sigv4(riffle_factory, cli, tmp_path):
    creds = tmp_path / "credentials.toml"
    creds.write_text('[[credentials]]\naccess_key_id = "AKIACLI"\nsecret_access_key = "cli-secret"\naccount_id = "123456789012"\n')
    srv = riffle_factory("--auth", "sigv4", "--credentials-file", str(creds))
    good = cli(srv, AWS_ACCESS_KEY_ID="AKIACLI", AWS_SECRET_ACCESS_KEY="cli-secret")
    good("create-stream", "--stream-name", "signed", "--shard-count", "1")
    assert good("list-streams")["StreamNames"] == ["signed"]
    bad = cli(srv, AWS_ACCESS_KEY_ID="AKIACLI", AWS_SECRET_ACCESS_KEY="nope")
    assert "InvalidSignatureException" in bad("list-streams", ok=False)
