"""TLS through boto3: --tls-self-signed writes a certificate that clients can trust, and
--tls-cert/--tls-key serve a given one. HTTP/2 over ALPN is tested from Node."""

import os

import boto3
import pytest
from botocore.config import Config

from conftest import create_stream, shard_id


def tls_client(port, cert):
    return boto3.client(
        "kinesis",
        endpoint_url=f"https://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        verify=cert,
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_self_signed_then_given_certificate(riffle_factory):
    srv = riffle_factory("--tls-self-signed")
    cert = os.path.join(srv.data_dir, "tls", "cert.pem")
    key = os.path.join(srv.data_dir, "tls", "key.pem")
    assert os.path.exists(cert) and os.path.exists(key)
    k = tls_client(srv.port, cert)
    name = create_stream(k, shards=1)
    out = k.put_record(StreamName=name, PartitionKey="k", Data=b"over tls")
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"][0]["SequenceNumber"] == out["SequenceNumber"]
    srv.stop()

    again = riffle_factory("--tls-cert", cert, "--tls-key", key, data_dir=srv.data_dir)
    k = tls_client(again.port, cert)
    assert name in k.list_streams()["StreamNames"]
    # A client that does not trust the certificate is refused.
    with pytest.raises(Exception):
        tls_client(again.port, True).list_streams()
