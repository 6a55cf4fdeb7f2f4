// npm run demo — the whole pipeline, offline, in about two minutes.
//
// Starts WallTrack locally (state in .wrangler/demo, wiped at start) with a fake market, adds three
// watched wallets, replays realistic Helius deliveries and price moves that exercise a stop-loss, a
// trailing stop, scaling out and a mirror exit (plus signals that must be filtered), then prints a
// summary. The data stays in .wrangler/demo: `npm run demo:inspect` serves it again for inspection.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { randomAddress } from "./lib/addresses.mjs";
import { loadTs } from "./lib/load-ts.mjs";
import { startLocalStack } from "./lib/local-stack.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    "inspector-port": { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});
const port = Number(values.port);
const { buildSwapTx, fakeSignature } = await loadTs("test/helpers/helius-payloads.ts");
const { newSolanaSecretKey } = await loadTs("test/helpers/keys.ts");
const WSOL = "So11111111111111111111111111111111111111112";

// A throwaway trading key for the live trade against the fake chain: generated now, handed to wrangler as a
// secret in a file under .wrangler (never printed, never committed), deleted when the demo ends.
const trading = await newSolanaSecretKey();
const liveVars = ".wrangler/demo-live.vars";
mkdirSync(".wrangler", { recursive: true });
writeFileSync(liveVars, `WALLET_PRIVATE_KEY=${trading.secret}\n`, { mode: 0o600 });
const inspector = values["inspector-port"] ? Number(values["inspector-port"]) : null;

const say = (msg) => console.log(`\x1b[36m▸\x1b[0m ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

say("starting the Worker and the fake market (wrangler dev, offline)…");
const stack = await startLocalStack({
  persistTo: ".wrangler/demo",
  fresh: true,
  port,
  fakePort: port + 1,
  quiet: !values.verbose,
  secretFiles: [liveVars],
  ...(inspector ? { inspectorPorts: [inspector, inspector + 1] } : {}),
});
const deliver = stack.deliver;
const positions = async () => (await stack.must("GET", "/api/v1/positions?page_size=100")).items;
const waitUntil = async (what, check, ms = 90_000) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await check();
    if (v) return v;
    await sleep(1000);
  }
  console.error(JSON.stringify(await positions(), null, 1));
  throw new Error(`timed out waiting for: ${what}`);
};

try {
  // Fast polling so price moves are seen within seconds (the floor of the config ranges).
  await stack.must("PATCH", "/api/v1/config", {
    poll_urgent_seconds: 5,
    poll_active_seconds: 5,
    poll_stable_seconds: 5,
    swap_min_spacing_ms: 300,
  });
  const names = ["alpha", "beta", "gamma"];
  const w = {};
  for (const label of names)
    w[label] = (await stack.must("POST", "/api/v1/wallets", { address: randomAddress(), label })).address;
  say(`watching ${names.map((n) => `${n} ${w[n].slice(0, 6)}…`).join(", ")}`);

  const token = (symbol, extra = {}) => ({
    mint: randomAddress(),
    symbol,
    name: `${symbol} coin`,
    price_usd: 1,
    liquidity_usd: 350_000,
    age_hours: 72,
    top10_holder_percent: 35,
    ...extra,
  });
  const t = {
    STOP: token("STOP"),
    TRAIL: token("TRAIL"),
    SCALE: token("SCALE"),
    MIRROR: token("MIRROR"),
    RUG: token("RUG", {
      mint_authority: "RugAuthority111111111111111111111111111111",
      liquidity_usd: 900,
      age_hours: 2,
    }),
    LATE: token("LATE"),
    LIVE: token("LIVE"),
  };
  await stack.fakeControl("tokens", { tokens: Object.values(t) });

  let n = 0;
  const buy = (wallet, tok, sol = 1, extra = {}) =>
    buildSwapTx({
      signature: fakeSignature(`demo-${Date.now()}-${n++}`),
      wallet,
      mint: tok.mint,
      side: "buy",
      quote_amount: sol,
      token_amount: sol * 150,
      fee_transfer_lamports: 100_000,
      ...extra,
    });
  say(
    "leaders buy: alpha STOP, alpha TRAIL, beta SCALE, gamma MIRROR, beta RUG (unsafe), gamma LATE (3 min old), alpha dust",
  );
  const first = buy(w.alpha, t.STOP);
  const res = await deliver([
    first,
    buy(w.alpha, t.TRAIL),
    buy(w.beta, t.SCALE),
    buy(w.gamma, t.MIRROR, 2),
    buy(w.beta, t.RUG),
    buy(w.gamma, t.LATE, 1, { timestamp: Math.floor(Date.now() / 1000) - 180 }),
    buy(w.alpha, t.TRAIL, 0.001),
  ]);
  say(`webhook answered ${res.status} ${JSON.stringify(res.body)}`);
  const dup = await deliver([first]);
  say(`the same delivery again (Helius redelivers): ${JSON.stringify(dup.body)}`);

  const open = await waitUntil("four open positions", async () => {
    const ps = (await positions()).filter((p) => p.status === "open");
    return ps.length >= 4 ? ps : null;
  });
  const pos = (tok) => open.find((p) => p.token_mint === tok.mint);
  say(`opened ${open.length} simulated positions at ~$1.01 (price + 1 % simulated slippage)`);

  say("market: STOP falls to $0.70 · TRAIL runs to $1.60 · SCALE doubles to $2.10");
  await stack.fakeControl("prices", { [t.STOP.mint]: 0.7, [t.TRAIL.mint]: 1.6, [t.SCALE.mint]: 2.1 });
  await waitUntil("stop-loss, first scaling level, trailing stop armed", async () => {
    const ps = await positions();
    const s = ps.find((p) => p.id === pos(t.STOP).id);
    const c = ps.find((p) => p.id === pos(t.SCALE).id);
    const tr = ps.find((p) => p.id === pos(t.TRAIL).id);
    return (
      s?.status === "closed" && c && BigInt(c.current_amount) < BigInt(c.entry_amount) && tr?.peak_price_usd >= 1.6
    );
  });
  say("market: TRAIL drops to $1.30 (more than 15 % off its $1.60 peak) · SCALE runs to $3.20");
  await stack.fakeControl("prices", { [t.TRAIL.mint]: 1.3, [t.SCALE.mint]: 3.2 });

  say("gamma sells all of its MIRROR");
  await deliver([
    buildSwapTx({
      signature: fakeSignature(`demo-sell-${Date.now()}`),
      wallet: w.gamma,
      mint: t.MIRROR.mint,
      side: "sell",
      quote_amount: 2.1,
      token_amount: 300,
      token_balance_after: 0,
      fee_transfer_lamports: 100_000,
    }),
  ]);
  await waitUntil("trailing stop, second scaling level and mirror exit", async () => {
    const ps = await positions();
    const get = (tok) => ps.find((p) => p.id === pos(tok).id);
    const scale = get(t.SCALE);
    return (
      get(t.TRAIL)?.status === "closed" && get(t.MIRROR)?.status === "closed" && scale?.scaling_levels_hit?.length === 2
    );
  });

  // ---------------------------------------------------------------- one live trade (fake chain)
  say(`live: a fourth leader, delta, is copied LIVE with the trading wallet ${trading.address.slice(0, 6)}…`);
  await stack.fakeControl("tokens", {
    tokens: [{ ...token("SOL"), mint: WSOL, name: "Wrapped SOL", price_usd: 150, liquidity_usd: 1e9 }],
  });
  await stack.fakeControl("wallets", { address: trading.address, lamports: 5_000_000_000 });
  await stack.must("PATCH", "/api/v1/config", { live_trading_enabled: true });
  const delta = (
    await stack.must("POST", "/api/v1/wallets?force=true", { address: randomAddress(), label: "delta", mode: "live" })
  ).address;
  w.delta = delta;
  await deliver([buy(delta, t.LIVE)]);
  const live = await waitUntil("the live position", async () =>
    (await positions()).find((p) => p.token_mint === t.LIVE.mint && p.status === "open"),
  );
  const liveOrders = async () => (await stack.must("GET", `/api/v1/orders?position_id=${live.id}`)).items;
  const entry = (await liveOrders()).find((o) => o.side === "buy");
  say(
    `live BUY landed: tx ${entry?.tx_signature?.slice(0, 12)}… slot ${entry?.landed_slot}, ${entry?.executed_out_amount} base units for ${Number(entry?.executed_in_amount) / 1e9} SOL (fees included, read from the confirmed transaction)`,
  );
  await stack.must("POST", `/api/v1/positions/${live.id}/exit`, { percent: 100 });
  await waitUntil("the live exit", async () =>
    (await positions()).find((p) => p.id === live.id && p.status === "closed"),
  );
  const exit = (await liveOrders()).find((o) => o.side === "sell" && o.status === "filled");
  say(
    `live exit landed: tx ${exit?.tx_signature?.slice(0, 12)}…, sold ${exit?.executed_in_amount} for ${Number(exit?.executed_out_amount) / 1e9} SOL ($${Number(exit?.executed_usd).toFixed(2)})`,
  );

  // ---------------------------------------------------------------- summary
  const signals = (await stack.must("GET", "/api/v1/signals?page_size=100")).items;
  const sym = Object.fromEntries(Object.entries(t).map(([k, v]) => [v.mint, k]));
  const who = Object.fromEntries(Object.entries(w).map(([k, v]) => [v, k]));
  console.log("\n=== Signals ===");
  for (const s of signals.slice().reverse())
    console.log(
      `  ${who[s.wallet_address]?.padEnd(6)} ${s.signal_type.toUpperCase().padEnd(5)} ${(sym[s.token_mint] ?? "?").padEnd(7)} ${String(s.sol_amount ?? "").padEnd(6)} SOL  ${s.filtered ? `filtered: ${s.filter_reason}` : s.signal_type === "sell" ? "mirrored" : "copied"}`,
    );
  console.log("\n=== Positions ===");
  for (const p of await positions()) {
    const money = (x) => (x == null ? "-" : `$${Number(x).toFixed(2)}`);
    console.log(
      `  ${(sym[p.token_mint] ?? "?").padEnd(7)} ${p.status.padEnd(6)} entry ${money(p.entry_price_usd)}  avg exit ${money(p.avg_exit_price_usd)}  left ${((Number(p.current_amount) / Number(p.entry_amount)) * 100).toFixed(0).padStart(3)} %  realized ${money(p.realized_pnl_usd)}  total ${money(p.total_pnl_usd)} (${Number(p.pnl_percent).toFixed(1)} %)  ${p.exit_reason ?? ""}`,
    );
  }
  const orders = (await stack.must("GET", "/api/v1/orders?page_size=100")).items;
  const byMode = (m) => orders.filter((o) => o.mode === m);
  console.log(
    `\n=== Orders === ${byMode("simulation").length} simulated: ${byMode("simulation")
      .map((o) => `${o.side}/${o.reason}/${o.priority}`)
      .join(", ")}; ${byMode("live").length} live: ${byMode("live")
      .map((o) => `${o.side}/${o.reason}/${o.status} ${o.tx_signature?.slice(0, 8) ?? "-"}…`)
      .join(", ")}`,
  );
  console.log(
    "\nData kept in .wrangler/demo — inspect it with `npm run demo:inspect` (API on :8787, token in .dev.vars).",
  );
} finally {
  stack.stop();
  rmSync(liveVars, { force: true });
}
