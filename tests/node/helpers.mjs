// Shared by the Node test files: free ports and starting the riffle binary.

import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const RIFFLE_BIN = process.env.RIFFLE_BIN || path.join(here, "..", "..", "target", "debug", "riffle");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/// Starts `riffle serve` on a free port with `args`; resolves once it accepts connections.
export async function startRiffle(dataDir, args = [], stdio = "ignore") {
  const port = await freePort();
  const proc = spawn(RIFFLE_BIN, ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...args], {
    stdio,
  });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`riffle exited early (${proc.exitCode})`);
    if (await canConnect(port)) return { proc, port };
    await new Promise((r) => setTimeout(r, 25));
  }
  proc.kill("SIGKILL");
  throw new Error(`riffle did not listen on ${port}`);
}
