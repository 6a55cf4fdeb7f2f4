// npm run unit-costs -- [--port 8890] [--n 400]
//
// What the pieces a BUY is made of cost on this runtime (local `wrangler dev`, all of a Worker's objects on one
// workerd thread): one D1 statement (write, read), one D1 batch of 10, one Durable Object RPC, one new object
// with its tables (and without: new_object_bare), one SQLite upsert in an object's storage, one outbound fetch (to the fake upstream) and one
// log line. Each is run n times in a row inside one request; the figure is the workerd processes' CPU (/proc)
// and the wall time per operation. docs/perf-ingest.md reads a BUY's CPU against these.
// Ports: port (probe worker), port+1 (its inspector), port+2 (fake upstream), port+3 (its inspector).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { workerdCpuMs } from "./lib/proc.mjs";

const { values } = parseArgs({
  options: { port: { type: "string", default: "8890" }, n: { type: "string", default: "400" } },
});
const port = Number(values.port);
const N = Number(values.n);
if (!(Number.isInteger(port) && port >= 1024 && port + 3 <= 65535)) throw new Error("--port must be 1024-65532");
if (!(Number.isInteger(N) && N > 0 && N <= 10_000)) throw new Error("--n must be 1-10000");

const WRANGLER = resolve("node_modules/.bin/wrangler");
const state = mkdtempSync(join(tmpdir(), "walltrack-unit-costs-"));
const dev = (args, cwd) => spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", ...args], { cwd, stdio: "ignore" });
const probe = dev(
  ["--port", String(port), "--inspector-port", String(port + 1), "--persist-to", join(state, "probe")],
  resolve("bench/unit-costs"),
);
const fake = dev(
  ["-c", "test/fakes/wrangler.toml", "--port", String(port + 2), "--inspector-port", String(port + 3)].concat([
    "--persist-to",
    join(state, "fake"),
  ]),
  resolve("."),
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const base = `http://127.0.0.1:${port}`;
const target = encodeURIComponent(
  `http://127.0.0.1:${port + 2}/price/v3?ids=So11111111111111111111111111111111111111112`,
);

async function up(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not up yet */
    }
    await sleep(300);
  }
  throw new Error(`${url} did not answer`);
}

const out = { n: N, per_operation: {} };
try {
  await up(`${base}/setup`);
  await up(`http://127.0.0.1:${port + 2}/price/v3?ids=x`);
  for (const op of [
    "d1_write",
    "d1_read",
    "d1_batch_of_10",
    "rpc",
    "new_object",
    "new_object_one_exec",
    "new_object_bare",
    "storage_upsert",
    "fetch",
    "log_line",
  ]) {
    const q = `n=${N}&target=${target}`;
    await fetch(`${base}/${op}?n=20&target=${target}`); // warm-up
    const cpu0 = workerdCpuMs(probe.pid);
    const t0 = performance.now();
    const res = await fetch(`${base}/${op}?${q}`);
    if (!res.ok) throw new Error(`${op}: ${res.status} ${await res.text()}`);
    const wall = performance.now() - t0;
    out.per_operation[op] = {
      cpu_ms: Math.round(((workerdCpuMs(probe.pid) - cpu0) / N) * 1000) / 1000,
      wall_ms: Math.round((wall / N) * 1000) / 1000,
    };
  }
  out.note = "workerd CPU per operation from /proc (10 ms resolution over the n runs); one run, on this machine";
} finally {
  for (const p of [probe, fake]) p.kill("SIGTERM");
  await sleep(500);
  rmSync(state, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 2));
