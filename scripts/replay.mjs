// npm run replay -- <file|dir> [--prices <file>] [--strategy <id>] [--json] [--port 8910] [--fake-port 8911]
//
// Replays recorded Helius deliveries through a local Worker's real pipeline (webhook → WalletActor → SwapQueue
// → PositionActor) against the fake market, and prints per leader and per strategy: trades copied, filtered
// and why, exits by reason, PnL, win rate, max drawdown and the copy latency distribution.
//
// Input: a file or a directory of files, each either a webhook delivery (a JSON array of enhanced
// transactions) or JSON lines (the export of GET /api/v1/signals/export, one transaction per line).
// --prices: { tokens: [fake token metadata], paths: { <mint>: [{ at_seconds, price_usd }] } }, times relative
// to the first delivery's block time. Defaults to the shipped samples (samples/replay/).
//
// Accelerated clock: block timestamps are shifted to the moment each delivery is sent (so nothing is stale)
// and the time between events keeps its order and is divided by --speed (default 60), but every event first
// waits for the pipeline to settle (signals decided, orders filled, each open position polled at the new
// price), so the same input gives the same decisions on every run (the state folder is wiped each time).
// Time-based exit rules (maximum hold, take-profit table) see that compressed wall clock.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadTs } from "./lib/load-ts.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    prices: { type: "string" },
    strategy: { type: "string" },
    json: { type: "boolean", default: false },
    port: { type: "string", default: "8910" },
    "fake-port": { type: "string", default: "8911" },
    "inspector-port": { type: "string", default: "8912" },
    "fake-inspector-port": { type: "string", default: "8913" },
    speed: { type: "string", default: "60" },
    wallets: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});
const fail = (msg) => {
  console.error(`replay: ${msg}`);
  process.exit(2);
};
const input = positionals[0] ?? "samples/replay/deliveries";
const pricesFile = values.prices ?? (positionals[0] ? null : "samples/replay/prices.json");
const speed = Number(values.speed);
if (!(speed > 0)) fail("--speed must be a positive number");
const strategyId = values.strategy === undefined ? undefined : Number(values.strategy);
if (strategyId !== undefined && !(Number.isInteger(strategyId) && strategyId > 0))
  fail("--strategy must be an exit strategy id");
const log = (msg) => {
  if (!values.json) console.log(`\x1b[36m▸\x1b[0m ${msg}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { latencyDistribution } = await loadTs("src/domain/latency.ts");

// ------------------------------------------------------------------ input

function readDeliveries(p) {
  if (!existsSync(p)) fail(`no such file or directory: ${p}`);
  const files = statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => /\.(json|jsonl|ndjson)$/.test(f))
        .sort()
        .map((f) => path.join(p, f))
    : [p];
  const deliveries = [];
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    if (/\.(jsonl|ndjson)$/.test(f)) {
      // An export: one transaction per line, each replayed as its own delivery.
      for (const [i, line] of text.split("\n").entries())
        if (line.trim()) {
          try {
            deliveries.push({ source: `${f}:${i + 1}`, txs: [JSON.parse(line)] });
          } catch {
            fail(`${f}:${i + 1}: not JSON`);
          }
        }
    } else {
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        fail(`${f}: not JSON`);
      }
      if (!Array.isArray(body)) fail(`${f}: a delivery is a JSON array of enhanced transactions`);
      deliveries.push({ source: f, txs: body });
    }
  }
  for (const d of deliveries) {
    const ts = d.txs.map((t) => t?.timestamp).filter((t) => Number.isFinite(t));
    d.at = ts.length ? Math.min(...ts) : null;
  }
  const known = deliveries.filter((d) => d.at != null);
  if (!known.length) fail(`${p}: no transaction with a timestamp`);
  const t0 = Math.min(...known.map((d) => d.at));
  for (const d of deliveries) d.rel = (d.at ?? t0) - t0;
  return { deliveries, t0 };
}

const { deliveries } = readDeliveries(input);
const market = pricesFile ? JSON.parse(readFileSync(pricesFile, "utf8")) : { tokens: [], paths: {} };
const leaders = values.wallets
  ? values.wallets.split(",")
  : [...new Set(deliveries.flatMap((d) => d.txs.map((t) => t?.feePayer)).filter((a) => typeof a === "string"))];
if (!leaders.length) fail("no leader found (transactions carry no feePayer): pass --wallets a,b");

// The events on the recording's timeline; at the same time a delivery comes before a price move.
const events = [
  ...deliveries.map((d, i) => ({ rel: d.rel, order: 0, i, delivery: d })),
  ...Object.entries(market.paths ?? {}).flatMap(([mint, steps]) =>
    steps.map((s, i) => ({ rel: s.at_seconds, order: 1, i, price: { mint, price_usd: s.price_usd } })),
  ),
].sort((a, b) => a.rel - b.rel || a.order - b.order || a.i - b.i);

// ------------------------------------------------------------------ run

log(`starting the Worker and the fake market on :${values.port} / :${values["fake-port"]} (fresh state)…`);
const stack = await startLocalStack({
  persistTo: ".wrangler/replay",
  fresh: true,
  port: Number(values.port),
  fakePort: Number(values["fake-port"]),
  inspectorPorts: [Number(values["inspector-port"]), Number(values["fake-inspector-port"])],
  quiet: !values.verbose,
});

const all = async (p) => {
  const out = [];
  for (let page = 1; ; page++) {
    const r = await stack.must("GET", `${p}${p.includes("?") ? "&" : "?"}page=${page}&page_size=200`);
    out.push(...r.items);
    if (out.length >= r.total || r.items.length === 0) return out;
  }
};
const waitUntil = async (what, check, ms = 120_000) => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
};
/** Every delivered transaction decided, no order pending or executing. */
const settle = async (sent) =>
  waitUntil("the pipeline to settle", async () => {
    const sigs = await all("/api/v1/signals");
    const decided = new Set(sigs.filter((s) => s.processed_at).map((s) => s.transaction_signature));
    if ([...sent].some((s) => !decided.has(s))) return false;
    const orders = await all("/api/v1/orders");
    if (orders.some((o) => o.status === "pending" || o.status === "executing" || o.status === "submitted"))
      return false;
    const ps = await all("/api/v1/positions");
    return ps.every((p) => p.status !== "closing");
  });

let exitCode = 0;
try {
  await stack.must("PATCH", "/api/v1/config", {
    poll_urgent_seconds: 5,
    poll_active_seconds: 5,
    poll_stable_seconds: 5,
    swap_min_spacing_ms: 0,
  });
  if (market.tokens?.length) await stack.fakeControl("tokens", { tokens: market.tokens });
  for (const [i, address] of leaders.entries())
    await stack.must("POST", "/api/v1/wallets", {
      address,
      label: `leader-${i + 1}`,
      ...(strategyId !== undefined ? { exit_strategy_id: strategyId } : {}),
    });
  log(`${leaders.length} leader(s), ${deliveries.length} deliveries, ${events.length - deliveries.length} price moves`);

  const sent = new Set();
  let lastRel = 0;
  for (const ev of events) {
    await sleep(Math.min(5_000, ((ev.rel - lastRel) * 1000) / speed));
    lastRel = ev.rel;
    if (ev.delivery) {
      const nowS = Math.floor(Date.now() / 1000);
      const shift = nowS - (ev.delivery.at ?? nowS);
      const txs = ev.delivery.txs.map((t) =>
        Number.isFinite(t?.timestamp) ? { ...t, timestamp: t.timestamp + shift } : t,
      );
      const res = await stack.deliver(txs);
      if (res.status !== 200) throw new Error(`webhook answered ${res.status} for ${ev.delivery.source}`);
      for (const t of txs) if (typeof t?.signature === "string") sent.add(t.signature);
      log(`t+${ev.rel}s ${path.basename(ev.delivery.source)}: ${JSON.stringify(res.body)}`);
    } else {
      const { mint, price_usd } = ev.price;
      await stack.fakeControl("prices", { [mint]: price_usd });
      // Each open position of the mint polls once at the new price (the alarms run at the 5 s floor).
      await waitUntil(`positions of ${mint.slice(0, 6)}… to see $${price_usd}`, async () => {
        const ps = (await all("/api/v1/positions")).filter((p) => p.token_mint === mint && p.status === "open");
        return ps.every((p) => p.current_price_usd === price_usd);
      });
      log(`t+${ev.rel}s ${mint.slice(0, 6)}… → $${price_usd}`);
    }
    await settle(sent);
  }
  await settle(sent);

  // ---------------------------------------------------------------- summary
  const signals = await all("/api/v1/signals");
  const positions = await all("/api/v1/positions");
  const orders = await all("/api/v1/orders");
  const wallets = await all("/api/v1/wallets");
  const strategies = await stack.must("GET", "/api/v1/exit-strategies");
  const labelOf = (address) => wallets.find((w) => w.address === address)?.label ?? address;
  const strategyName = (id) => strategies.find((s) => s.id === id)?.name ?? String(id);
  const orderById = new Map(orders.map((o) => [o.id, o]));

  const group = (ps, sigs) => {
    const closed = ps.filter((p) => p.status === "closed").sort((a, b) => (a.closed_at < b.closed_at ? -1 : 1));
    const wins = closed.filter((p) => p.realized_pnl_usd > 0).length;
    let cum = 0;
    let peak = 0;
    let maxDd = 0;
    for (const p of closed) {
      cum += p.realized_pnl_usd;
      peak = Math.max(peak, cum);
      maxDd = Math.max(maxDd, peak - cum);
    }
    const exits = {};
    for (const o of orders)
      if (o.side === "sell" && o.status === "filled" && ps.some((p) => p.id === o.position_id))
        exits[o.reason] = (exits[o.reason] ?? 0) + 1;
    const filtered = {};
    for (const s of sigs ?? []) if (s.filtered) filtered[s.filter_reason] = (filtered[s.filter_reason] ?? 0) + 1;
    const copied = (sigs ?? []).filter((s) => s.signal_type === "buy" && !s.filtered && s.order_id);
    const latency = latencyDistribution(
      copied.map((s) => {
        const o = orderById.get(s.order_id);
        return {
          block_time: s.block_time,
          webhook_received_at: s.webhook_received_at,
          processed_at: s.processed_at,
          order_requested_at: o?.requested_at ?? null,
          order_executed_at: o?.executed_at ?? null,
        };
      }),
    );
    const round = (x) => Math.round(x * 100) / 100;
    return {
      ...(sigs ? { signals: sigs.length, copied: copied.length, filtered } : {}),
      positions: ps.length,
      open: ps.filter((p) => p.status === "open").length,
      closed: closed.length,
      exits_by_reason: exits,
      realized_pnl_usd: round(ps.reduce((s, p) => s + p.realized_pnl_usd, 0)),
      total_pnl_usd: round(ps.reduce((s, p) => s + p.total_pnl_usd, 0)),
      win_rate_percent: closed.length ? round((wins / closed.length) * 100) : null,
      max_drawdown_usd: round(maxDd),
      ...(sigs ? { copy_latency_ms: latency } : {}),
    };
  };
  const perLeader = Object.fromEntries(
    leaders.map((a) => [
      labelOf(a),
      {
        address: a,
        ...group(
          positions.filter((p) => p.source_wallet_address === a),
          signals.filter((s) => s.wallet_address === a),
        ),
      },
    ]),
  );
  const perStrategy = Object.fromEntries(
    [...new Set(positions.map((p) => p.exit_strategy_id))].map((id) => [
      strategyName(id),
      group(positions.filter((p) => p.exit_strategy_id === id)),
    ]),
  );
  // What was decided, without ids or clock times: the same input must give the same list.
  const decisions = [
    ...signals
      .map(
        (s) =>
          `signal ${s.transaction_signature} ${s.signal_type} ${s.filtered ? `filtered:${s.filter_reason}` : "copied"}`,
      )
      .sort(),
    ...positions
      .map((p) => {
        const sells = orders
          .filter((o) => o.position_id === p.id && o.side === "sell" && o.status === "filled")
          .map((o) => `${o.reason}:${o.executed_in_amount}@${o.executed_price_usd}`)
          .sort();
        return `position ${p.token_mint} ${labelOf(p.source_wallet_address)} ${p.status} ${p.exit_reason ?? "-"} ${sells.join(",")}`;
      })
      .sort(),
  ];
  const digest = createHash("sha256").update(decisions.join("\n")).digest("hex").slice(0, 16);
  const summary = { leaders: perLeader, strategies: perStrategy, decisions_digest: digest, decisions };

  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    const fmtLat = (l) => `p50 ${l.p50_ms ?? "-"} · p95 ${l.p95_ms ?? "-"} · p99 ${l.p99_ms ?? "-"} ms (n=${l.count})`;
    console.log("\nper leader");
    for (const [name, g] of Object.entries(perLeader)) {
      console.log(`  ${name} (${g.address.slice(0, 8)}…)`);
      console.log(`    signals ${g.signals}, copied ${g.copied}, filtered ${JSON.stringify(g.filtered)}`);
      console.log(
        `    positions ${g.positions} (open ${g.open}, closed ${g.closed}), exits ${JSON.stringify(g.exits_by_reason)}`,
      );
      console.log(
        `    PnL realized $${g.realized_pnl_usd} / total $${g.total_pnl_usd}, win rate ${g.win_rate_percent ?? "-"} %, max drawdown $${g.max_drawdown_usd}`,
      );
      console.log(`    copy latency block→fill ${fmtLat(g.copy_latency_ms.block_to_fill)}`);
      console.log(`                 webhook→fill ${fmtLat(g.copy_latency_ms.webhook_to_fill)}`);
    }
    console.log("per strategy");
    for (const [name, g] of Object.entries(perStrategy))
      console.log(
        `  ${name}: positions ${g.positions}, exits ${JSON.stringify(g.exits_by_reason)}, PnL $${g.total_pnl_usd}, win rate ${g.win_rate_percent ?? "-"} %, max drawdown $${g.max_drawdown_usd}`,
      );
    console.log(`decisions digest ${digest} (${decisions.length} decisions; the same input gives the same digest)`);
  }
} catch (err) {
  console.error(`replay failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  stack.stop();
}
process.exit(exitCode);
