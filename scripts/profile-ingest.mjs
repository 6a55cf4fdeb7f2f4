// node scripts/profile-ingest.mjs [--port 8810 --ingest 200 --mode normal|paused|nosafety --profile out.cpuprofile]
//
// Where webhook ingest time goes (docs/perf-ingest.md): the bench's ingest phase (BUY deliveries at concurrency
// 10 over 10 watched wallets, every BUY meant to become a position) on a fresh local stack, optionally under a
// CPU profile of the Worker's workerd isolate taken over its inspector port (Chrome DevTools protocol), and in
// a mode that removes part of the work:
//   normal    as the bench (safety on, every BUY decided, filled in simulation, opened)
//   paused    the 10 wallets paused: each BUY is recorded and filtered at once (the ack path + a signal row)
//   nosafety  safety_check_enabled off (no TokenSafety lookup per new mint)
// Prints JSON: ack throughput and latency percentiles, workerd CPU per delivery, drain time, and the profile's top
// self-time functions.
// Ports: port (worker), port+1 (fake upstream), port+2 / port+3 (their inspectors). Talks only to 127.0.0.1.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { percentile, randomAddress } from "./lib/addresses.mjs";
import { loadTs } from "./lib/load-ts.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";
import { workerdCpuMs } from "./lib/proc.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8810" },
    ingest: { type: "string", default: "200" },
    mode: { type: "string", default: "normal" },
    profile: { type: "string" },
    top: { type: "string", default: "40" },
    drain: { type: "string", default: "180" },
  },
});
const port = Number(values.port);
const INGEST = Math.min(2000, Number(values.ingest));
const MODE = values.mode;
if (!["normal", "paused", "nosafety"].includes(MODE)) throw new Error(`unknown --mode ${MODE}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r1 = (x) => Math.round(x * 10) / 10;

/** A minimal CDP session over the inspector's WebSocket (Node 20's global WebSocket is behind a flag: `ws`). */
async function inspect(inspectorPort) {
  const { default: WebSocket } = await import("ws");
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  // wrangler dev lists the user Worker's isolate (it also runs the Durable Objects of the same script).
  const t = targets.find((x) => x.webSocketDebuggerUrl) ?? targets[0];
  const ws = new WebSocket(t.webSocketDebuggerUrl);
  await new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  let id = 0;
  const waiting = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(String(m));
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((res) => {
      const n = ++id;
      waiting.set(n, res);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { send, close: () => ws.close(), title: t.title };
}

/** Self time per function (and per source file), in ms, from a V8 CPU profile. */
function summarize(profile, top) {
  const dt = new Map();
  const { samples, timeDeltas, nodes } = profile;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (let i = 0; i < samples.length; i++) dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0) / 1000);
  const fn = new Map();
  const file = new Map();
  let total = 0;
  let idle = 0;
  for (const [nid, ms] of dt) {
    const n = byId.get(nid);
    const cf = n.callFrame;
    const name = cf.functionName || "(anonymous)";
    if (name === "(idle)") {
      idle += ms;
      continue;
    }
    total += ms;
    const src = (cf.url || "").split("/").slice(-2).join("/");
    const key = `${name} ${src}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    file.set(src || name, (file.get(src || name) ?? 0) + ms);
  }
  const sorted = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, r1(v), `${r1((100 * v) / total)}%`]);
  return { busy_ms: r1(total), idle_ms: r1(idle), by_function: sorted(fn), by_file: sorted(file) };
}

const { buildSwapTx, fakeSignature } = await loadTs("test/helpers/helius-payloads.ts");
const stack = await startLocalStack({
  persistTo: ".wrangler/probe",
  fresh: true,
  port,
  fakePort: port + 1,
  inspectorPorts: [port + 2, port + 3],
});
const out = { mode: MODE, ingest: INGEST };
try {
  await stack.must("PATCH", "/api/v1/config", {
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
    min_leader_trade_sol: 0.01,
    ...(MODE === "nosafety" ? { safety_check_enabled: false } : {}),
  });
  const wallets = [];
  for (let i = 0; i < 10; i++)
    wallets.push(
      (await stack.must("POST", "/api/v1/wallets", { address: randomAddress(), label: `probe-${i}` })).address,
    );
  if (MODE === "paused")
    for (const w of wallets) await stack.must("PATCH", `/api/v1/wallets/${w}`, { is_active: false });
  const mints = Array.from({ length: INGEST }, () => randomAddress());
  await stack.fakeControl("tokens", {
    tokens: mints.map((mint, i) => ({
      mint,
      price_usd: 0.001 * (1 + (i % 7)),
      liquidity_usd: 400_000,
      age_hours: 96,
      top10_holder_percent: 30,
    })),
  });
  let seq = 0;
  const jobs = mints.map((mint, i) => {
    const wallet = wallets[i % 10];
    const signature = fakeSignature(`probe-${Date.now()}-${seq++}`);
    return JSON.stringify([
      buildSwapTx({
        signature,
        wallet,
        mint,
        side: "buy",
        quote_amount: 0.5 + (seq % 5) * 0.1,
        token_amount: 1_000_000 + seq,
        fee_transfer_lamports: 113_463,
      }),
    ]);
  });
  // Warm-up: one delivery per wallet (isolate, actors, caches), not counted.
  for (const w of wallets) {
    const m = randomAddress();
    await stack.fakeControl("tokens", {
      tokens: [{ mint: m, price_usd: 0.001, liquidity_usd: 400_000, age_hours: 96, top10_holder_percent: 30 }],
    });
    await stack.deliver([
      buildSwapTx({
        signature: fakeSignature(`warm-${w}`),
        wallet: w,
        mint: m,
        side: "buy",
        quote_amount: 0.5,
        token_amount: 1_000_000,
      }),
    ]);
  }
  const openCount = async () => (await stack.must("GET", "/api/v1/positions?status=open&page_size=1")).total;
  const base = MODE === "paused" ? 0 : await openCount();
  for (let i = 0; i < 200 && MODE !== "paused" && (await openCount()) < 10; i++) await sleep(100);

  const cdp = values.profile ? await inspect(port + 2) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
    await cdp.send("Profiler.start");
  }
  const latencies = [];
  let errors = 0;
  let next = 0;
  const cpu0 = workerdCpuMs(stack.workerPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < jobs.length) {
        const body = jobs[next++];
        const s = performance.now();
        const res = await fetch(`${stack.base}/webhooks/helius`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: stack.vars.HELIUS_WEBHOOK_SECRET },
          body,
          signal: AbortSignal.timeout(30_000),
        }).catch(() => null);
        if (res?.status !== 200) errors++;
        await res?.arrayBuffer();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const ackS = (performance.now() - t0) / 1000;
  const ackCpu = workerdCpuMs(stack.workerPid) - cpu0;
  // The profile covers the ack phase only: what competes with the acks while they are measured.
  if (cdp) {
    const { result } = await cdp.send("Profiler.stop");
    writeFileSync(values.profile, JSON.stringify(result.profile));
    out.profile = { file: values.profile, ...summarize(result.profile, Number(values.top)) };
    // The bundle the line numbers refer to, beside the profile.
    const sid = result.profile.nodes.find((n) => n.callFrame.url.endsWith("index.js"))?.callFrame.scriptId;
    if (sid) {
      await cdp.send("Debugger.enable");
      const src = await cdp.send("Debugger.getScriptSource", { scriptId: sid });
      if (src.result?.scriptSource) writeFileSync(`${values.profile}.index.js`, src.result.scriptSource);
    }
    cdp.close();
  }
  let drainedS = null;
  if (MODE !== "paused") {
    const want = Math.max(base, 10) + INGEST;
    let have = await openCount();
    while (have < want && performance.now() - t0 < Number(values.drain) * 1000) {
      await sleep(100);
      have = await openCount();
    }
    drainedS = r1((performance.now() - t0) / 1000);
    out.cpu_ms_per_delivery_through_drain = r1((workerdCpuMs(stack.workerPid) - cpu0) / INGEST);
    out.opened = have - Math.max(base, 10);
    // What became of the BUYs that did not open a position (signal filter reasons, warm-ups included).
    const reasons = {};
    for (let p = 1; p <= 20; p++) {
      const page = await stack.must("GET", `/api/v1/signals?page_size=200&page=${p}`);
      for (const sg of page.items)
        reasons[sg.filter_reason ?? "passed"] = (reasons[sg.filter_reason ?? "passed"] ?? 0) + 1;
      if (p * 200 >= page.total) break;
    }
    out.signals_by_filter_reason = reasons;
  }
  const s = latencies.sort((a, b) => a - b);
  Object.assign(out, {
    deliveries_per_s: r1(INGEST / ackS),
    ack_p50_ms: r1(percentile(s, 50)),
    ack_p99_ms: r1(percentile(s, 99)),
    errors,
    ack_phase_s: r1(ackS),
    // workerd CPU (/proc) per delivery while the acks ran (the profiler, when on, adds to it).
    cpu_ms_per_delivery_during_acks: r1(ackCpu / INGEST),
    drained_s: drainedS,
  });
} finally {
  await stack.stopAndWait();
}
console.log(JSON.stringify(out, null, 1));
