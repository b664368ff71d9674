"""Riffle's lease extension (RiffleLeases_20261122.*), used by the riffle-client consumer,
driven with raw signed JSON and CBOR: the compare-and-set, validation through the shared
schema, and errors in the AWS envelope."""

from __future__ import annotations

import json

from conftest import unique_name, wait_active

PREFIX = "RiffleLeases_20261122."


def call(raw, op, payload, cbor=False):
    if cbor:
        import cbor2
        return raw.send(PREFIX + op, cbor2.dumps(payload), content_type="application/x-amz-cbor-1.1")
    return raw.send(PREFIX + op, json.dumps(payload))


def test_compare_and_set_and_errors(raw, kinesis):
    name = unique_name("lease")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    base = {"StreamName": name, "ApplicationName": "app"}
    r = call(raw, "CreateLease", {**base, "LeaseKey": "shardId-000000000000", "Checkpoint": "TRIM_HORIZON"})
    assert r.status == 200, r.content
    assert r.json()["Lease"] == {"LeaseKey": "shardId-000000000000", "Counter": 0,
                                 "Checkpoint": "TRIM_HORIZON", "ParentLeaseKeys": []}
    again = call(raw, "CreateLease", {**base, "LeaseKey": "shardId-000000000000"})
    assert (again.status, again.json()["__type"]) == (400, "ConditionalCheckFailedException")
    took = call(raw, "UpdateLease", {**base, "LeaseKey": "shardId-000000000000", "ExpectedCounter": 0,
                                     "Owner": "w1"})
    assert took.json()["Lease"]["Owner"] == "w1" and took.json()["Lease"]["Counter"] == 1
    stale = call(raw, "UpdateLease", {**base, "LeaseKey": "shardId-000000000000", "ExpectedCounter": 0,
                                      "Owner": "w2"})
    assert stale.json()["__type"] == "ConditionalCheckFailedException"
    assert "counter 1, not 0" in stale.json()["message"]
    # CBOR works like JSON.
    cb = call(raw, "ListLeases", base, cbor=True)
    assert cb.status == 200 and cb.cbor()["Leases"][0]["Owner"] == "w1"
    gone = call(raw, "DeleteLease", {**base, "LeaseKey": "shardId-000000000000", "ExpectedCounter": 1})
    assert gone.status == 200
    assert call(raw, "ListLeases", base).json() == {"Leases": []}
    missing = call(raw, "UpdateLease", {**base, "LeaseKey": "x", "ExpectedCounter": 0})
    assert missing.json()["__type"] == "ResourceNotFoundException"


def test_validation_and_unknown_operations(raw):
    bad = call(raw, "ListLeases", {"StreamName": "s"})
    assert bad.status == 400 and bad.json()["__type"] == "ValidationException"
    assert bad.json()["message"] == ("1 validation error detected: Value null at 'applicationName' failed to "
                                     "satisfy constraint: Member must not be null")
    no_stream = call(raw, "ListLeases", {"StreamName": unique_name("none"), "ApplicationName": "a"})
    assert no_stream.json()["__type"] == "ResourceNotFoundException"
    unknown = call(raw, "StealEverything", {})
    assert unknown.json()["__type"] == "UnknownOperationException"
