"""Encryption at rest through boto3: StartStreamEncryption / StopStreamEncryption with AWS's
KeyId forms, records encrypted on disk while it is on, and reads across on/off switches."""

import glob
import os

import pytest
from botocore.exceptions import ClientError

from conftest import create_stream, make_client, read_shard, shard_id

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"


def log_bytes(data_dir):
    out = b""
    for f in sorted(glob.glob(os.path.join(data_dir, "log", "*.log"))):
        with open(f, "rb") as fh:
            out += fh.read()
    return out


def test_records_are_encrypted_on_disk_and_readable_across_switches(fresh_riffle):
    k = make_client(fresh_riffle.endpoint)
    name = create_stream(k, shards=1)
    plain_marker = b"PLAINTEXT-MARKER-before-encryption"
    secret_marker = b"SECRET-MARKER-while-encrypted-0123456789"
    after_marker = b"PLAINTEXT-MARKER-after-encryption"

    out = k.put_record(StreamName=name, PartitionKey="k", Data=plain_marker)
    assert "EncryptionType" not in out or out["EncryptionType"] == "NONE"

    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    desc = k.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["EncryptionType"] == "KMS" and desc["KeyId"] == "alias/aws/kinesis"
    summary = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS"

    out = k.put_record(StreamName=name, PartitionKey="k", Data=secret_marker)
    assert out["EncryptionType"] == "KMS"
    batch = k.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": secret_marker + b"-batch"}])
    assert batch["EncryptionType"] == "KMS"

    # A different key for later records.
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=KEY_ARN)
    k.put_record(StreamName=name, PartitionKey="k", Data=secret_marker + b"-key2")

    k.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=KEY_ARN)
    assert k.describe_stream(StreamName=name)["StreamDescription"]["EncryptionType"] == "NONE"
    k.put_record(StreamName=name, PartitionKey="k", Data=after_marker)

    on_disk = log_bytes(fresh_riffle.data_dir)
    assert plain_marker in on_disk, "unencrypted records are stored as they came (the test can see them)"
    assert secret_marker not in on_disk, "records written while encryption was on are not plaintext on disk"

    def check_reads():
        recs = read_shard(make_client(fresh_riffle.endpoint), name, shard_id(0))
        assert [r["Data"] for r in recs] == [
            plain_marker,
            secret_marker,
            secret_marker + b"-batch",
            secret_marker + b"-key2",
            after_marker,
        ]
        assert [r.get("EncryptionType") for r in recs][1:4] == ["KMS", "KMS", "KMS"]
        assert recs[0].get("EncryptionType") in (None, "NONE") and recs[4].get("EncryptionType") in (None, "NONE")

    check_reads()
    fresh_riffle.restart(graceful=False)
    check_reads()


@pytest.mark.parametrize(
    "key_id",
    [
        "alias/aws/kinesis",
        "alias/MyAlias",
        "12345678-1234-1234-1234-123456789012",
        KEY_ARN,
        "arn:aws:kms:us-east-1:123456789012:alias/MyAliasName",
    ],
)
def test_aws_key_id_forms_are_accepted(riffle, key_id):
    k = make_client(riffle.endpoint)
    name = create_stream(k, shards=1)
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key_id)
    assert k.describe_stream(StreamName=name)["StreamDescription"]["KeyId"] == key_id


@pytest.mark.parametrize("key_id", ["my-key", "arn:aws:kms:us-east-1:123:key/x", "alias/"])
def test_bad_key_ids_are_refused(riffle, key_id):
    k = make_client(riffle.endpoint)
    name = create_stream(k, shards=1)
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key_id)
    assert e.value.response["Error"]["Code"] == "KMSNotFoundException"
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName=name, EncryptionType="NONE", KeyId="alias/aws/kinesis")
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"


def test_master_key_from_environment_is_required_to_read_back(riffle_factory, monkeypatch):
    monkeypatch.setenv("RIFFLE_MASTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    srv = riffle_factory()
    k = make_client(srv.endpoint)
    name = create_stream(k, shards=1)
    k.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    k.put_record(StreamName=name, PartitionKey="k", Data=b"needs-the-key")
    assert not os.path.exists(os.path.join(srv.data_dir, "keyring.key")), "no key file when the env var is set"
    srv.restart(graceful=True)
    recs = read_shard(make_client(srv.endpoint), name, shard_id(0))
    assert [r["Data"] for r in recs] == [b"needs-the-key"]
