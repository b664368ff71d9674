// Riffle over TLS with HTTP/2 negotiated by ALPN: a raw HTTP/2 session checks the protocol,
// and the AWS SDK for JavaScript v3 (HTTP/2 by default) runs calls over it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { KinesisClient, CreateStreamCommand, ListStreamsCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
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

async function waitForFile(file, child, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`riffle exited early (${child.exitCode})`);
    if (fs.existsSync(file)) {
      const ok = await new Promise((resolve) => {
        const sock = net.connect({ host: "127.0.0.1", port });
        sock.once("connect", () => (sock.destroy(), resolve(true)));
        sock.once("error", () => resolve(false));
      });
      if (ok) return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("riffle did not come up with TLS");
}

before(async () => {
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "riffle-node-tls-"));
  proc = spawn(
    RIFFLE_BIN,
    ["serve", "--port", String(port), "--data-dir", dataDir, "--limits", "off", "--tls-self-signed"],
    { stdio: "ignore" },
  );
  await waitForFile(path.join(dataDir, "tls", "cert.pem"), proc);
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
