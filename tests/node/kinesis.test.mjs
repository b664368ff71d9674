// Integration tests: the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis) against the real
// riffle binary, over cleartext HTTP/2 (h2c, prior knowledge).
//
// Note: @aws-sdk/client-kinesis already defaults to HTTP/2 in Node: its runtimeConfig imports
// `NodeHttp2Handler as RequestHandler` from @smithy/node-http-handler (with
// disableConcurrentStreams: true, i.e. one request per stream session). We pass our own
// NodeHttp2Handler anyway to make the protocol explicit and to allow concurrent streams on one
// connection. A server that speaks only HTTP/1.1 fails every call here.
//
// The binary comes from $RIFFLE_BIN, else <repo>/target/debug/riffle.
// Run: cd tests/node && npm ci && npm test

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  KinesisClient,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";

import { canConnect, freePort } from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, "..", "..");
const RIFFLE_BIN = process.env.RIFFLE_BIN || path.join(REPO, "target", "debug", "riffle");
const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const TWO128 = 1n << 128n;

let proc;
let port;
let dataDir;
let endpoint;
let client;
let logPath;

async function waitForPort(p, child, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`riffle exited early (${child.exitCode}); log: ${logPath}`);
    if (await canConnect(p)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`riffle did not listen on ${p} within ${timeoutMs} ms; log: ${logPath}`);
}

function uniqueName(prefix) {
  return `${prefix}-${crypto.randomBytes(6).toString("hex")}`;
}

function hashRanges(n) {
  const step = TWO128 / BigInt(n);
  const out = [];
  for (let i = 0n; i < BigInt(n); i++) out.push([i * step, (i + 1n) * step - 1n]);
  out[n - 1][1] = TWO128 - 1n;
  return out;
}

function shardId(i) {
  return `shardId-${String(i).padStart(12, "0")}`;
}

function shardForKey(key, n) {
  const h = BigInt("0x" + crypto.createHash("md5").update(key, "utf8").digest("hex"));
  const ranges = hashRanges(n);
  for (let i = 0; i < n; i++) if (h >= ranges[i][0] && h <= ranges[i][1]) return shardId(i);
  throw new Error("hash outside key space");
}

function makeClient(handler) {
  return new KinesisClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: "AKIDNODETEST", secretAccessKey: "node-secret" },
    maxAttempts: 1,
    requestHandler: handler ?? new NodeHttp2Handler({ requestTimeout: 30000, disableConcurrentStreams: false }),
  });
}

async function createStream(name, shards) {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (s.StreamDescriptionSummary.StreamStatus === "ACTIVE") return s.StreamDescriptionSummary;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} never became ACTIVE`);
}

before(async () => {
  if (!fs.existsSync(RIFFLE_BIN)) throw new Error(`riffle binary not found at ${RIFFLE_BIN}`);
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "riffle-node-"));
  logPath = path.join(dataDir, "..", `${path.basename(dataDir)}.log`);
  const log = fs.openSync(logPath, "a");
  proc = spawn(
    RIFFLE_BIN,
    ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", path.join(dataDir, "data"), "--limits", "off"],
    { stdio: ["ignore", log, log] },
  );
  endpoint = `http://127.0.0.1:${port}`;
  await waitForPort(port, proc);
  client = makeClient();
});

after(async () => {
  client?.destroy();
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  if (logPath) fs.rmSync(logPath, { force: true });
});

test("create stream and describe summary over HTTP/2", async () => {
  const name = uniqueName("node");
  const t0 = Date.now();
  const created = await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  assert.equal(created.$metadata.httpStatusCode, 200);
  assert.ok(created.$metadata.requestId, "x-amzn-RequestId header expected");

  const s = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
  assert.equal(s.StreamName, name);
  assert.equal(s.StreamStatus, "ACTIVE");
  assert.equal(s.StreamARN, `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`);
  assert.equal(s.OpenShardCount, 2);
  assert.equal(s.RetentionPeriodHours, 24);
  assert.deepEqual(s.StreamModeDetails, { StreamMode: "PROVISIONED" });
  assert.ok(s.StreamCreationTimestamp instanceof Date);
  assert.ok(Math.abs(s.StreamCreationTimestamp.getTime() - t0) < 60000);

  const listed = await client.send(new ListStreamsCommand({ Limit: 10000 }));
  assert.ok(listed.StreamNames.includes(name));
  const summary = listed.StreamSummaries.find((x) => x.StreamName === name);
  assert.ok(summary, "StreamSummaries must include the stream");
  assert.equal(summary.StreamARN, s.StreamARN);
});

test("put and get records round trip", async () => {
  const name = uniqueName("node-rt");
  await createStream(name, 2);
  const payloads = [];
  const expected = { [shardId(0)]: [], [shardId(1)]: [] };
  for (let i = 0; i < 20; i++) {
    const data = new Uint8Array(crypto.randomBytes(1 + i * 7));
    const key = `key-${i}`;
    const out = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: key, Data: data }));
    assert.equal(out.ShardId, shardForKey(key, 2), key);
    assert.match(out.SequenceNumber, /^\d{56}$/);
    expected[out.ShardId].push({ seq: out.SequenceNumber, data, key });
    payloads.push(data);
  }
  const batch = await client.send(
    new PutRecordsCommand({
      StreamName: name,
      Records: [
        { PartitionKey: "b1", Data: new TextEncoder().encode("batch one") },
        { PartitionKey: "b2", Data: new TextEncoder().encode("batch two"), ExplicitHashKey: "0" },
      ],
    }),
  );
  assert.equal(batch.FailedRecordCount, 0);
  assert.equal(batch.Records[0].ShardId, shardForKey("b1", 2));
  assert.equal(batch.Records[1].ShardId, shardId(0));
  expected[batch.Records[0].ShardId].push({ seq: batch.Records[0].SequenceNumber, data: new TextEncoder().encode("batch one"), key: "b1" });
  expected[shardId(0)].push({ seq: batch.Records[1].SequenceNumber, data: new TextEncoder().encode("batch two"), key: "b2" });

  for (const sid of [shardId(0), shardId(1)]) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: "TRIM_HORIZON" }),
    );
    const got = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
    assert.equal(typeof got.MillisBehindLatest, "number");
    assert.ok(got.NextShardIterator && got.NextShardIterator !== ShardIterator);
    assert.deepEqual(
      got.Records.map((r) => r.SequenceNumber),
      expected[sid].map((e) => e.seq),
    );
    got.Records.forEach((r, i) => {
      assert.equal(r.PartitionKey, expected[sid][i].key);
      assert.ok(r.Data instanceof Uint8Array);
      assert.equal(Buffer.compare(Buffer.from(r.Data), Buffer.from(expected[sid][i].data)), 0);
      assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
      assert.ok(Math.abs(r.ApproximateArrivalTimestamp.getTime() - Date.now()) < 60000);
      if (i > 0) assert.ok(r.ApproximateArrivalTimestamp >= got.Records[i - 1].ApproximateArrivalTimestamp);
    });
    const empty = await client.send(new GetRecordsCommand({ ShardIterator: got.NextShardIterator }));
    assert.equal(empty.Records.length, 0);
    assert.equal(empty.MillisBehindLatest, 0);
    assert.notEqual(empty.NextShardIterator, got.NextShardIterator);
  }
});

test("AT_TIMESTAMP iterator with a Date", async () => {
  const name = uniqueName("node-ts");
  await createStream(name, 1);
  await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: "k", Data: Buffer.from("before") }));
  await new Promise((r) => setTimeout(r, 30));
  const cut = new Date();
  await new Promise((r) => setTimeout(r, 30));
  await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: "k", Data: Buffer.from("after") }));
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ShardIteratorType: "AT_TIMESTAMP", Timestamp: cut }),
  );
  const got = await client.send(new GetRecordsCommand({ ShardIterator }));
  assert.deepEqual(got.Records.map((r) => Buffer.from(r.Data).toString()), ["after"]);
});

test("list shards with paging and exact hash ranges", async () => {
  const name = uniqueName("node-ls");
  await createStream(name, 3);
  const ids = [];
  const ranges = [];
  let resp = await client.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
  let pages = 1;
  for (;;) {
    for (const s of resp.Shards) {
      ids.push(s.ShardId);
      ranges.push([BigInt(s.HashKeyRange.StartingHashKey), BigInt(s.HashKeyRange.EndingHashKey)]);
      assert.match(s.SequenceNumberRange.StartingSequenceNumber, /^\d{56}$/);
    }
    if (!resp.NextToken) break;
    resp = await client.send(new ListShardsCommand({ NextToken: resp.NextToken, MaxResults: 1 }));
    pages++;
    assert.ok(pages <= 5);
  }
  assert.deepEqual(ids, [shardId(0), shardId(1), shardId(2)]);
  assert.deepEqual(ranges, hashRanges(3));
  assert.equal(pages, 3);

  const filtered = await client.send(
    new ListShardsCommand({ StreamName: name, ShardFilter: { Type: "AFTER_SHARD_ID", ShardId: shardId(0) } }),
  );
  assert.deepEqual(filtered.Shards.map((s) => s.ShardId), [shardId(1), shardId(2)]);
});

test("missing stream is ResourceNotFoundException", async () => {
  const name = uniqueName("node-missing");
  await assert.rejects(
    client.send(new DescribeStreamSummaryCommand({ StreamName: name })),
    (err) => {
      assert.equal(err.name, "ResourceNotFoundException");
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.message, `Stream ${name} under account ${ACCOUNT} not found.`);
      return true;
    },
  );
  await assert.rejects(
    client.send(new PutRecordCommand({ StreamName: name, PartitionKey: "k", Data: Buffer.from("x") })),
    { name: "ResourceNotFoundException" },
  );
});

test("invalid iterator is InvalidArgumentException", async () => {
  await assert.rejects(
    client.send(new GetRecordsCommand({ ShardIterator: "definitely-not-an-iterator" })),
    (err) => {
      assert.equal(err.name, "InvalidArgumentException");
      assert.equal(err.message, "Invalid ShardIterator.");
      return true;
    },
  );
});

test("StreamARN addressing", async () => {
  const name = uniqueName("node-arn");
  const s = await createStream(name, 1);
  const arn = s.StreamARN;
  const out = await client.send(new PutRecordCommand({ StreamARN: arn, PartitionKey: "k", Data: Buffer.from("by-arn") }));
  assert.equal(out.ShardId, shardId(0));
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamARN: arn, ShardId: shardId(0), ShardIteratorType: "TRIM_HORIZON" }),
  );
  const got = await client.send(new GetRecordsCommand({ StreamARN: arn, ShardIterator }));
  assert.deepEqual(got.Records.map((r) => Buffer.from(r.Data).toString()), ["by-arn"]);
  await client.send(new DeleteStreamCommand({ StreamARN: arn }));
});

test("many concurrent requests multiplexed on one HTTP/2 connection", async () => {
  const name = uniqueName("node-conc");
  await createStream(name, 4);
  const puts = [];
  for (let i = 0; i < 64; i++) {
    puts.push(client.send(new PutRecordCommand({ StreamName: name, PartitionKey: `c${i}`, Data: Buffer.from(`v${i}`) })));
  }
  const outs = await Promise.all(puts);
  outs.forEach((o, i) => assert.equal(o.ShardId, shardForKey(`c${i}`, 4)));
  const seqs = outs.map((o) => `${o.ShardId}/${o.SequenceNumber}`);
  assert.equal(new Set(seqs).size, 64);
});

test("the same port also serves HTTP/1.1", async () => {
  const h1 = makeClient(new NodeHttpHandler({ requestTimeout: 30000 }));
  try {
    const out = await h1.send(new ListStreamsCommand({ Limit: 1 }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(Array.isArray(out.StreamNames));
  } finally {
    h1.destroy();
  }
});

test("raw h2c request (prior knowledge) gets an HTTP/2 response", async () => {
  const session = http2.connect(endpoint);
  try {
    const { status, headers, body } = await new Promise((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Kinesis_20131202.ListStreams",
        "x-amz-date": "20260101T000000Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDNODETEST/20260101/us-east-1/kinesis/aws4_request, " +
          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0".repeat(64),
      });
      let hdrs;
      const chunks = [];
      req.on("response", (h) => (hdrs = h));
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => resolve({ status: hdrs[":status"], headers: hdrs, body: Buffer.concat(chunks).toString() }));
      req.on("error", reject);
      req.end("{}");
    });
    assert.equal(status, 200, body);
    assert.match(String(headers["content-type"]), /^application\/x-amz-json-1\.1/);
    assert.ok(Array.isArray(JSON.parse(body).StreamNames));
    assert.equal(session.alpnProtocol, "h2c");
  } finally {
    session.close();
  }
});
