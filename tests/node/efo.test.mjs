// Enhanced fan-out with the AWS SDK for JavaScript v3 over HTTP/2: RegisterStreamConsumer,
// then SubscribeToShard read as an async iterable of events.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

const here = path.dirname(fileURLToPath(import.meta.url));
const RIFFLE_BIN = process.env.RIFFLE_BIN || path.join(here, "..", "..", "target", "debug", "riffle");

let proc;
let port;
let dataDir;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "riffle-node-efo-"));
  proc = spawn(RIFFLE_BIN, ["serve", "--port", String(port), "--data-dir", dataDir, "--limits", "off"], { stdio: "ignore" });
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect({ host: "127.0.0.1", port });
      sock.once("connect", () => (sock.destroy(), resolve(true)));
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("riffle did not start");
});

after(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("SubscribeToShard pushes records to the Node SDK over HTTP/2", async () => {
  const client = new KinesisClient({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "AKIDNODEEFO", secretAccessKey: "x" },
    maxAttempts: 1,
    requestHandler: new NodeHttp2Handler({ requestTimeout: 30000 }),
  });
  await client.send(new CreateStreamCommand({ StreamName: "efo", ShardCount: 1 }));
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: "efo" }));
  const { Consumer } = await client.send(
    new RegisterStreamConsumerCommand({ StreamARN: summary.StreamDescriptionSummary.StreamARN, ConsumerName: "node" }),
  );
  await client.send(new PutRecordCommand({ StreamName: "efo", PartitionKey: "k", Data: Buffer.from("before") }));
  const out = await client.send(
    new SubscribeToShardCommand({
      ConsumerARN: Consumer.ConsumerARN,
      ShardId: "shardId-000000000000",
      StartingPosition: { Type: "TRIM_HORIZON" },
    }),
  );
  const pushed = new Promise((resolve) => setTimeout(resolve, 200)).then(() =>
    client.send(new PutRecordCommand({ StreamName: "efo", PartitionKey: "k", Data: Buffer.from("pushed") })),
  );
  const seen = [];
  for await (const ev of out.EventStream) {
    if (ev.SubscribeToShardEvent) {
      assert.ok(ev.SubscribeToShardEvent.ContinuationSequenceNumber);
      for (const r of ev.SubscribeToShardEvent.Records) seen.push(Buffer.from(r.Data).toString());
    }
    if (seen.length >= 2) break;
  }
  assert.deepEqual(seen, ["before", "pushed"]);
  // The record was pushed to us before (or as) its PutRecord was acknowledged.
  assert.match((await pushed).SequenceNumber, /^\d{56}$/);
  client.destroy();
});
