// Enhanced fan-out with the AWS SDK for JavaScript v3 over HTTP/2: RegisterStreamConsumer,
// then SubscribeToShard read as an async iterable of events.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

import { startRiffle } from "./helpers.mjs";

let proc;
let port;
let dataDir;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "riffle-node-efo-"));
  ({ proc, port } = await startRiffle(dataDir, ["--limits", "off"]));
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
