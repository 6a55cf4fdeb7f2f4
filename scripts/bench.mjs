// npm run bench [-- --deliveries 300 --wallets 6 --concurrency 8 --duplicates 0.1]
//
// Starts WallTrack locally against its fake upstreams (a fresh state under .wrangler/bench), adds watched
// wallets, sends webhook deliveries with realistic enhanced-transaction payloads (BUYs of safe tokens,
// some deliveries sent twice), then prints as JSON: webhook answer latency p50/p95/p99, deliveries per
// second, and the signal → position-open latency p50/p95 from the timings the system recorded.
import { parseArgs } from "node:util";
import { percentile, randomAddress } from "./lib/addresses.mjs";
import { loadTs } from "./lib/load-ts.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";

const { values } = parseArgs({
  options: {
    deliveries: { type: "string", default: "200" },
    wallets: { type: "string", default: "5" },
    concurrency: { type: "string", default: "8" },
    duplicates: { type: "string", default: "0.1" },
    port: { type: "string", default: "8797" },
    isolated: { type: "string", default: "20" },
  },
});
const N = Number(values.deliveries);
const W = Number(values.wallets);
const C = Number(values.concurrency);
const DUP = Number(values.duplicates);
const port = Number(values.port);
const ISOLATED = Number(values.isolated);

const { buildSwapTx, fakeSignature } = await loadTs("test/helpers/helius-payloads.ts");
const stack = await startLocalStack({ persistTo: ".wrangler/bench", fresh: true, port, fakePort: port + 1 });
try {
  // Every BUY should become a position: no spacing, no caps in the way; safety stays on (tokens are safe).
  await stack.must("PATCH", "/api/v1/config", {
    swap_min_spacing_ms: 0,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
    min_leader_trade_sol: 0.01,
  });
  const wallets = [];
  for (let i = 0; i < W; i++) {
    const body = await stack.must("POST", "/api/v1/wallets", { address: randomAddress(), label: `bench-${i}` });
    wallets.push(body.address);
  }
  const mints = Array.from({ length: N }, () => randomAddress());
  await stack.fakeControl("tokens", {
    tokens: mints.map((mint, i) => ({
      mint,
      price_usd: 0.001 * (1 + (i % 7)),
      liquidity_usd: 400_000,
      age_hours: 96,
      top10_holder_percent: 30,
    })),
  });

  // One BUY per delivery; a share of the deliveries is delivered a second time (Helius redelivers).
  const deliveries = mints.map((mint, i) => {
    const tokens = 1_000_000 + i;
    return [
      buildSwapTx({
        signature: fakeSignature(`bench-${Date.now()}-${i}`),
        wallet: wallets[i % W],
        mint,
        side: "buy",
        quote_amount: 0.5 + (i % 5) * 0.1,
        token_amount: tokens,
        fee_transfer_lamports: 113_463,
      }),
    ];
  });
  const plan = deliveries.map((d) => d);
  for (let i = 0; i < Math.round(N * DUP); i++) plan.push(deliveries[(i * 7) % N]);

  const latencies = [];
  const counts = { accepted: 0, duplicates: 0, ignored: 0, rejected: 0, errors: 0 };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < plan.length) {
        const body = JSON.stringify(plan[next++]);
        const t0 = performance.now();
        const res = await fetch(`${stack.base}/webhooks/helius`, {
          method: "POST",
          headers: { authorization: stack.vars.HELIUS_WEBHOOK_SECRET, "content-type": "application/json" },
          body,
        });
        const json = await res.json().catch(() => ({}));
        latencies.push(performance.now() - t0);
        if (res.status !== 200) counts.errors++;
        for (const k of ["accepted", "duplicates", "ignored", "rejected"]) counts[k] += json[k] ?? 0;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;

  // Wait for the pipeline (safety → queue → simulated fill → position) to drain.
  let positions = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const page = await stack.must("GET", "/api/v1/positions?status=open&page_size=200&page=1");
    positions = page.items;
    for (let p = 2; (p - 1) * 200 < page.total; p++)
      positions = positions.concat(
        (await stack.must("GET", `/api/v1/positions?status=open&page_size=200&page=${p}`)).items,
      );
    if (positions.length >= N) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // Isolated phase: one delivery at a time on an idle pipeline — the latency a single copied trade sees.
  const isoMints = Array.from({ length: ISOLATED }, () => randomAddress());
  await stack.fakeControl("tokens", {
    tokens: isoMints.map((mint) => ({
      mint,
      price_usd: 0.002,
      liquidity_usd: 400_000,
      age_hours: 96,
      top10_holder_percent: 30,
    })),
  });
  const isoSignatures = new Set();
  for (const [i, mint] of isoMints.entries()) {
    const signature = fakeSignature(`bench-iso-${Date.now()}-${i}`);
    isoSignatures.add(signature);
    const tx = buildSwapTx({
      signature,
      wallet: wallets[i % W],
      mint,
      side: "buy",
      quote_amount: 0.7,
      token_amount: 250_000,
    });
    await fetch(`${stack.base}/webhooks/helius`, {
      method: "POST",
      headers: { authorization: stack.vars.HELIUS_WEBHOOK_SECRET, "content-type": "application/json" },
      body: JSON.stringify([tx]),
    });
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const page = await stack.must("GET", "/api/v1/positions?status=open&page_size=1");
      if (page.total >= N + i + 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  positions = [];
  for (let p = 1; ; p++) {
    const page = await stack.must("GET", `/api/v1/positions?status=open&page_size=200&page=${p}`);
    positions.push(...page.items);
    if (p * 200 >= page.total) break;
  }

  const signals = [];
  for (let p = 1; ; p++) {
    const page = await stack.must("GET", `/api/v1/signals?page_size=200&page=${p}`);
    signals.push(...page.items);
    if (p * 200 >= page.total) break;
  }
  const byId = new Map(signals.map((s) => [s.id, s]));
  const latencyOf = (keep) =>
    positions
      .map((p) => {
        const s = byId.get(p.signal_id);
        return s && keep(s) ? Date.parse(p.opened_at) - Date.parse(s.webhook_received_at) : null;
      })
      .filter((x) => x !== null)
      .sort((a, b) => a - b);
  const toOpen = latencyOf((s) => !isoSignatures.has(s.transaction_signature));
  const isolated = latencyOf((s) => isoSignatures.has(s.transaction_signature));
  const sorted = [...latencies].sort((a, b) => a - b);
  const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
  console.log(
    JSON.stringify(
      {
        deliveries_sent: plan.length,
        distinct_transactions: N,
        redelivered: plan.length - N,
        watched_wallets: W,
        concurrency: C,
        webhook_answers: counts,
        webhook_latency_ms: {
          p50: r(percentile(sorted, 50)),
          p95: r(percentile(sorted, 95)),
          p99: r(percentile(sorted, 99)),
          max: r(sorted.at(-1)),
        },
        deliveries_per_second: r(plan.length / elapsed),
        signals_recorded: signals.length,
        positions_opened: positions.length,
        burst_note:
          "the burst queues every entry at once; the single SwapQueue executes them one by one, so its latency is mostly queue wait",
        signal_to_position_open_ms_burst: {
          p50: r(percentile(toOpen, 50)),
          p95: r(percentile(toOpen, 95)),
          max: r(toOpen.at(-1)),
          samples: toOpen.length,
        },
        signal_to_position_open_ms_isolated: {
          p50: r(percentile(isolated, 50)),
          p95: r(percentile(isolated, 95)),
          max: r(isolated.at(-1)),
          samples: isolated.length,
        },
        note: "local wrangler dev (workerd) on this machine, fake upstreams on loopback; swap_min_spacing_ms set to 0",
      },
      null,
      2,
    ),
  );
} finally {
  stack.stop();
}
