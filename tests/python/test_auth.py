"""--auth sigv4 through boto3 and raw signed requests: signatures are verified against a
credentials file (header and presigned query forms, date skew, payload hash), identity
policies and resource policies are evaluated with AWS's logic, and failures carry AWS's
errors."""

import json
import os

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import shard_id

A, B = "111111111111", "222222222222"

CREDS = f'''
[[credentials]]
access_key_id = "AKIAROOTA"
secret_access_key = "root-a-secret"
account_id = "{A}"

[[credentials]]
access_key_id = "AKIAALICE"
secret_access_key = "alice-secret"
account_id = "{A}"
user = "alice"
policies = [
  \'\'\'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["kinesis:Put*","kinesis:Describe*","kinesis:List*","kinesis:Get*"],"Resource":"arn:aws:kinesis:*:{A}:stream/*"}},
      {{"Effect":"Deny","Action":"kinesis:GetRecords","Resource":"arn:aws:kinesis:*:{A}:stream/secret-*"}}]}}\'\'\',
]

[[credentials]]
access_key_id = "AKIABOB"
secret_access_key = "bob-secret"
account_id = "{B}"
user = "bob"
policies = [\'\'\'{{"Statement":[{{"Effect":"Allow","Action":["kinesis:GetShardIterator","kinesis:GetRecords"],"Resource":"*"}}]}}\'\'\']
'''


@pytest.fixture
def secured(riffle_factory, tmp_path):
    path = tmp_path / "credentials.toml"
    path.write_text(CREDS)
    return riffle_factory("--auth", "sigv4", "--credentials-file", str(path))


def client(srv, key, secret):
    return boto3.client(
        "kinesis",
        endpoint_url=srv.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


def code_and_message(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_signatures_are_verified(secured):
    root = client(secured, "AKIAROOTA", "root-a-secret")
    root.create_stream(StreamName="s1", ShardCount=1)
    assert root.describe_stream_summary(StreamName="s1")["StreamDescriptionSummary"]["StreamARN"].endswith(f"{A}:stream/s1")

    with pytest.raises(ClientError) as e:
        client(secured, "AKIAROOTA", "wrong-secret").list_streams()
    assert code_and_message(e) == (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
    with pytest.raises(ClientError) as e:
        client(secured, "AKIANOBODY", "x").list_streams()
    assert code_and_message(e) == ("UnrecognizedClientException", "The security token included in the request is invalid.")


class PresignWithBody(SigV4QueryAuth):
    """botocore's presigner moves a body into the query string and signs an empty payload;
    this one signs the JSON body's hash, as a presigned Kinesis call must."""

    body = b"{}"

    def payload(self, request):
        import hashlib

        return hashlib.sha256(self.body).hexdigest()


def signed_request(srv, body, key="AKIAROOTA", secret="root-a-secret", query=False):
    req = AWSRequest(
        method="POST",
        url=srv.endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams"},
    )
    (PresignWithBody if query else SigV4Auth)(Credentials(key, secret), "kinesis", "us-east-1").add_auth(req)
    return req.prepare()


def test_payload_and_presigned_query(secured):
    p = signed_request(secured, b"{}")
    assert requests.post(p.url, data=p.body, headers=dict(p.headers)).status_code == 200
    # The body is covered by the signature.
    r = requests.post(p.url, data=b'{"Limit":1}', headers=dict(p.headers))
    assert r.status_code == 400 and r.json()["__type"] == "InvalidSignatureException"
    # Presigned query-string auth.
    q = signed_request(secured, b"{}", query=True)
    assert "X-Amz-Signature=" in q.url
    headers = {k: v for k, v in q.headers.items() if k.lower() not in ("authorization", "content-length")}
    r = requests.post(q.url, data=b"{}", headers=headers)
    assert r.status_code == 200, r.text
    assert "StreamNames" in r.json()
    bad = q.url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    r = requests.post(bad, data=b"{}", headers=headers)
    assert r.status_code == 400 and r.json()["__type"] == "InvalidSignatureException"


def test_old_signatures_expire(riffle_factory, tmp_path):
    path = tmp_path / "credentials.toml"
    path.write_text(CREDS)
    # The server's clock runs 20 minutes ahead: every fresh signature looks 20 minutes old.
    srv = riffle_factory("--auth", "sigv4", "--credentials-file", str(path), "--clock-offset-ms", str(20 * 60_000))
    with pytest.raises(ClientError) as e:
        client(srv, "AKIAROOTA", "root-a-secret").list_streams()
    code, msg = code_and_message(e)
    assert code == "InvalidSignatureException"
    assert msg.startswith("Signature expired: ") and msg.endswith(" - 15 min.)")


def test_identity_policies(secured):
    root = client(secured, "AKIAROOTA", "root-a-secret")
    root.create_stream(StreamName="orders", ShardCount=1)
    root.create_stream(StreamName="secret-orders", ShardCount=1)
    alice = client(secured, "AKIAALICE", "alice-secret")
    alice.put_record(StreamName="orders", PartitionKey="k", Data=b"by alice")
    with pytest.raises(ClientError) as e:
        alice.delete_stream(StreamName="orders")
    assert code_and_message(e) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: kinesis:DeleteStream on resource: "
        f"arn:aws:kinesis:us-east-1:{A}:stream/orders because no identity-based policy allows the kinesis:DeleteStream action",
    )
    it = alice.get_shard_iterator(StreamName="secret-orders", ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    with pytest.raises(ClientError) as e:
        alice.get_records(ShardIterator=it)
    code, msg = code_and_message(e)
    assert code == "AccessDeniedException" and "explicit deny in an identity-based policy" in msg


def test_cross_account_needs_a_resource_policy(secured):
    root = client(secured, "AKIAROOTA", "root-a-secret")
    root.create_stream(StreamName="shared", ShardCount=1)
    root.put_record(StreamName="shared", PartitionKey="k", Data=b"for bob")
    arn = f"arn:aws:kinesis:us-east-1:{A}:stream/shared"
    bob = client(secured, "AKIABOB", "bob-secret")
    with pytest.raises(ClientError) as e:
        bob.get_shard_iterator(StreamARN=arn, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")
    code, msg = code_and_message(e)
    assert code == "AccessDeniedException" and "because no resource-based policy allows" in msg

    assert root.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
            "Action": ["kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:DescribeStreamSummary"],
            "Resource": arn,
        }],
    })
    root.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert json.loads(root.get_resource_policy(ResourceARN=arn)["Policy"]) == json.loads(policy)
    it = bob.get_shard_iterator(StreamARN=arn, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in bob.get_records(ShardIterator=it, StreamARN=arn)["Records"]] == [b"for bob"]
    # Bob's own policies do not allow DescribeStreamSummary: both sides must allow across accounts.
    with pytest.raises(ClientError) as e:
        bob.describe_stream_summary(StreamARN=arn)
    assert code_and_message(e)[0] == "AccessDeniedException"

    root.delete_resource_policy(ResourceARN=arn)
    with pytest.raises(ClientError) as e:
        bob.get_shard_iterator(StreamARN=arn, ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")
    assert code_and_message(e)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        root.put_resource_policy(ResourceARN=arn, Policy="not json")
    assert code_and_message(e)[0] == "InvalidArgumentException"


def test_auth_off_accepts_any_credentials(fresh_riffle):
    k = client(fresh_riffle, "anything", "whatever")
    k.create_stream(StreamName="open", ShardCount=1)
    assert "open" in k.list_streams()["StreamNames"]
