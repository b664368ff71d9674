// Riffle over TLS with HTTP/2 negotiated by ALPN: a raw HTTP/2 session checks the protocol,
// and the AWS SDK for JavaScript v3 (HTTP/2 by default) runs calls over it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";

import { KinesisClient, CreateStreamCommand, ListStreamsCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

import { startRiffle } from "./helpers.mjs";

let proc;
let port;
let dataDir;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "riffle-node-tls-"));
  ({ proc, port } = await startRiffle(dataDir, ["--limits", "off", "--tls-self-signed"]));
  // The certificate is written just after the port opens.
  for (let i = 0; i < 200 && !fs.existsSync(path.join(dataDir, "tls", "cert.pem")); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
});

after(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("ALPN negotiates HTTP/2 and a Kinesis call succeeds over it", async () => {
  const ca = fs.readFileSync(path.join(dataDir, "tls", "cert.pem"));
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
  try {
    const body = await new Promise((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Kinesis_20131202.ListStreams",
        "x-amz-date": "20260101T000000Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0",
      });
      let status;
      let data = "";
      req.on("response", (h) => (status = h[":status"]));
      req.on("data", (c) => (data += c));
      req.on("end", () => resolve({ status, data }));
      req.on("error", reject);
      req.end("{}");
    });
    assert.equal(session.alpnProtocol, "h2");
    assert.equal(body.status, 200);
    assert.deepEqual(JSON.parse(body.data).StreamNames, []);
  } finally {
    session.close();
  }
});

test("the AWS SDK works over TLS with HTTP/2", async () => {
  // Trust the generated certificate for the SDK's HTTP/2 sessions.
  const ca = fs.readFileSync(path.join(dataDir, "tls", "cert.pem"));
  const handler = new NodeHttp2Handler({ requestTimeout: 30000 });
  const originalConnect = http2.connect;
  http2.connect = (authority, options, listener) => originalConnect(authority, { ...options, ca }, listener);
  try {
    const client = new KinesisClient({
      region: "us-east-1",
      endpoint: `https://127.0.0.1:${port}`,
      credentials: { accessKeyId: "AKIDNODETLS", secretAccessKey: "x" },
      maxAttempts: 1,
      requestHandler: handler,
    });
    await client.send(new CreateStreamCommand({ StreamName: "tls-node", ShardCount: 1 }));
    const put = await client.send(new PutRecordCommand({ StreamName: "tls-node", PartitionKey: "k", Data: Buffer.from("h2 over tls") }));
    assert.match(put.SequenceNumber, /^\d{56}$/);
    const list = await client.send(new ListStreamsCommand({}));
    assert.ok(list.StreamNames.includes("tls-node"));
    client.destroy();
  } finally {
    http2.connect = originalConnect;
  }
});
