"""Shared fixtures for Riffle's Python integration tests.

Every test drives the real `riffle` binary over the network, through real clients only
(boto3, the aws CLI, raw signed HTTP/CBOR).  The binary is taken from $RIFFLE_BIN, else
<repo>/target/debug/riffle.

Fixtures:
  riffle           module-scoped server shared by the tests of one module (use unique names)
  fresh_riffle     function-scoped server with its own data dir (for exact counts, restarts)
  riffle_factory   start servers with extra flags: riffle_factory("--shard-limit", "5")
  kinesis          boto3 client for `riffle`
  raw              RawClient for `riffle` (signed JSON / CBOR requests, no client-side checks)
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parents[2]
RIFFLE_BIN = os.environ.get("RIFFLE_BIN") or str(REPO / "target" / "debug" / "riffle")

REGION = "us-east-1"
ACCOUNT = "000000000000"
ACCESS_KEY = "AKIDRIFFLETEST"
SECRET_KEY = "riffle-test-secret"
TARGET_PREFIX = "Kinesis_20131202."

HASH_SPACE = 2**128


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stream_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def md5_hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def hash_ranges(n: int) -> list[tuple[int, int]]:
    """AWS's initial layout: step = floor(2^128 / n), last shard ends at 2^128 - 1."""
    step = HASH_SPACE // n
    ranges = [(i * step, (i + 1) * step - 1) for i in range(n)]
    ranges[-1] = (ranges[-1][0], HASH_SPACE - 1)
    return ranges


def shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


def shard_for_hash(h: int, n: int) -> str:
    for i, (lo, hi) in enumerate(hash_ranges(n)):
        if lo <= h <= hi:
            return shard_id(i)
    raise AssertionError(f"hash {h} outside the key space")


def shard_for_key(partition_key: str, n: int) -> str:
    return shard_for_hash(md5_hash_key(partition_key), n)


def error_code(exc) -> str:
    return exc.response["Error"]["Code"]


def error_status(exc) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def error_message(exc) -> str:
    return exc.response["Error"].get("Message", "")


# --------------------------------------------------------------------------- server


class RiffleServer:
    """One `riffle serve` process bound to a fixed port and data dir (restartable)."""

    def __init__(self, data_dir: str, extra_args=(), port: int | None = None):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(data_dir).parent / f"riffle-{self.port}-{uuid.uuid4().hex[:6]}.log"
        self.starts = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        return [
            RIFFLE_BIN, "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", self.data_dir,
            # Most suites issue control-plane calls faster than AWS's TPS limits allow; the
            # limits are tested on their own (test_limits.py), which passes --limits on.
            *([] if "--limits" in self.extra_args else ["--limits", "off"]),
            *self.extra_args,
        ]

    def start(self, timeout: float = 20.0) -> "RiffleServer":
        if not os.path.exists(RIFFLE_BIN):
            pytest.fail(f"riffle binary not found at {RIFFLE_BIN} (set RIFFLE_BIN or build it)")
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.args())}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.args(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"riffle exited early with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"riffle did not listen on {self.port} within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait for a graceful exit; SIGKILL if it does not come. Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"riffle ignored SIGTERM for {timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL (kill -9): no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self, graceful: bool = True) -> "RiffleServer":
        if graceful:
            self.stop()
        else:
            self.kill()
        return self.start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])


class ServerFactory:
    def __init__(self, tmp_root: str):
        self.tmp_root = tmp_root
        self.servers: list[RiffleServer] = []

    def __call__(self, *extra_args, data_dir: str | None = None, start: bool = True) -> RiffleServer:
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="data-", dir=self.tmp_root)
        srv = RiffleServer(data_dir, extra_args)
        self.servers.append(srv)
        return srv.start() if start else srv

    def close(self):
        for srv in self.servers:
            try:
                srv.stop()
            except Exception:
                srv.kill()


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="riffle-it-") as d:
        yield d


@pytest.fixture(scope="module")
def module_factory(tmp_root):
    f = ServerFactory(tmp_root)
    yield f
    f.close()


@pytest.fixture
def riffle_factory(tmp_root):
    f = ServerFactory(tmp_root)
    yield f
    f.close()


@pytest.fixture(scope="module")
def riffle(module_factory) -> RiffleServer:
    return module_factory()


@pytest.fixture
def fresh_riffle(riffle_factory) -> RiffleServer:
    return riffle_factory()


# --------------------------------------------------------------------------- clients


def make_client(endpoint: str, max_attempts: int = 1, region: str = REGION,
                access_key: str = ACCESS_KEY, **config_kw):
    """boto3 Kinesis client. `max_attempts` is the TOTAL number of attempts (1 = no retries).

    Note: botocore's `retries={"max_attempts": N}` counts retries, i.e. N + 1 attempts; a retry
    after a server crash would re-send a batch and store it twice, so use total_max_attempts.
    """
    cfg = Config(
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=config_kw.pop("connect_timeout", 5),
        read_timeout=config_kw.pop("read_timeout", 30),
        **config_kw,
    )
    return boto3.session.Session().client(
        "kinesis",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=SECRET_KEY,
        config=cfg,
    )


@pytest.fixture(scope="module")
def kinesis(riffle):
    return make_client(riffle.endpoint)


def wait_active(client, name: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        desc = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if desc["StreamStatus"] == "ACTIVE":
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"stream {name} still {desc['StreamStatus']} after {timeout}s")
        time.sleep(0.05)


def create_stream(client, shards: int = 1, name: str | None = None, **kw) -> str:
    name = name or unique_name()
    client.create_stream(StreamName=name, ShardCount=shards, **kw)
    wait_active(client, name)
    return name


def read_shard(client, name: str, shard: str, iterator_type: str = "TRIM_HORIZON",
               limit: int = 10000, max_empty: int = 2, **it_kw) -> list[dict]:
    """Read a shard from the given position until `max_empty` consecutive empty pages."""
    it = client.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType=iterator_type, **it_kw
    )["ShardIterator"]
    out, empties = [], 0
    while it and empties < max_empty:
        resp = client.get_records(ShardIterator=it, Limit=limit)
        out.extend(resp["Records"])
        empties = empties + 1 if not resp["Records"] else 0
        it = resp.get("NextShardIterator")
    return out


# --------------------------------------------------------------------------- raw HTTP


class RawResponse:
    def __init__(self, resp: requests.Response):
        self.status = resp.status_code
        self.headers = resp.headers
        self.content = resp.content
        self.http = resp

    def json(self):
        return json.loads(self.content)

    def cbor(self):
        import cbor2
        return cbor2.loads(self.content)

    def error_type(self):
        ct = self.headers.get("Content-Type", "")
        body = self.cbor() if "cbor" in ct else self.json()
        t = body.get("__type", "")
        # AWS sometimes qualifies the type ("com.amazon.coral.service#SerializationException")
        return t.rsplit("#", 1)[-1], body

    def __repr__(self):
        return f"<RawResponse {self.status} {self.content[:300]!r}>"


class RawClient:
    """Signed requests with arbitrary bodies: nothing is validated client-side."""

    def __init__(self, endpoint: str, region: str = REGION, access_key: str = ACCESS_KEY):
        self.endpoint = endpoint
        self.region = region
        self.creds = Credentials(access_key, SECRET_KEY)
        self.session = requests.Session()

    def send(self, target: str | None, body: bytes | str,
             content_type: str = "application/x-amz-json-1.1",
             headers: dict | None = None, sign: bool = True, method: str = "POST") -> RawResponse:
        if isinstance(body, str):
            body = body.encode()
        hdrs = {"Content-Type": content_type}
        if target is not None:
            hdrs["X-Amz-Target"] = target
        hdrs.update(headers or {})
        req = AWSRequest(method=method, url=self.endpoint + "/", data=body, headers=hdrs)
        if sign:
            SigV4Auth(self.creds, "kinesis", self.region).add_auth(req)
        prepared = req.prepare()
        resp = self.session.request(
            method, prepared.url, data=body, headers=dict(prepared.headers), timeout=30
        )
        return RawResponse(resp)

    def json(self, op: str, payload, **kw) -> RawResponse:
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        return self.send(TARGET_PREFIX + op, body, **kw)

    def cbor(self, op: str, payload, **kw) -> RawResponse:
        import cbor2
        body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
        return self.send(TARGET_PREFIX + op, body, content_type="application/x-amz-cbor-1.1", **kw)


@pytest.fixture(scope="module")
def raw(riffle):
    return RawClient(riffle.endpoint)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
