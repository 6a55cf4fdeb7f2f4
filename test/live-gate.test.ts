import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { newSolanaSecretKey } from "./helpers/keys";

/** Issue 14: leader evaluation and the live gate (live_min_trades, live_min_win_rate_percent, force). */
// A valid trading key and the master switch on (issue 11's guardrails): these tests are about the gate alone.
const KEY = (await newSolanaSecretKey()).secret;
async function withKey(method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://walltrack.test${path}`, {
      method,
      headers: { authorization: "Bearer test-operator-token", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, WALLET_PRIVATE_KEY: KEY },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  expect(text).not.toContain(KEY);
  return { status: res.status, body: JSON.parse(text) };
}

let n = 0;
/** A recorded leader trade (a signal row) priced in SOL. */
async function recorded(
  wallet: string,
  mint: string,
  side: "buy" | "sell",
  atS: number,
  tokens: number,
  priceSol: number,
) {
  n++;
  await env.DB.prepare(
    `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, token_amount, token_decimals,
       price_sol, slot, block_time, webhook_received_at, raw_payload)
     VALUES (?, ?, ?, ?, ?, 6, ?, ?, ?, ?, '{}')`,
  )
    .bind(
      `gate-sig-${n}-${wallet.slice(0, 6)}`,
      wallet,
      side,
      mint,
      String(tokens * 1e6),
      priceSol,
      1000 + n,
      new Date(atS * 1000).toISOString(),
      new Date(atS * 1000).toISOString(),
    )
    .run();
}

beforeEach(async () => {
  await fake.reset();
  await setConfig({ live_min_trades: 3, live_min_win_rate_percent: 60, live_trading_enabled: true });
});
afterAll(async () => {
  await setConfig({ live_min_trades: 10, live_min_win_rate_percent: 50, live_trading_enabled: false });
});

describe("live gate", () => {
  it("refuses an unevaluated wallet with its numbers, and accepts it after an evaluation that passes", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const refused = await withKey("PATCH", `/api/v1/wallets/${w.id}`, { mode: "live" });
    expect(refused.status).toBe(422);
    expectErrorShape(refused.body, "RuleRefused");
    expect(refused.body.detail).toMatch(/at least 3 evaluated or simulated trade\(s\) at a win rate of at least 60 %/);
    expect(refused.body.detail).toMatch(/evaluation: none; simulation copies: 0 trade\(s\)/);
    expect((await api("GET", `/api/v1/wallets/${w.id}`)).body.mode).toBe("simulation");

    // Three round trips: two winners, one loser → 66.7 % ≥ 60 % over 3 trades.
    const t = 1_790_000_000;
    const [a, b, c] = [randomAddress(), randomAddress(), randomAddress()];
    await recorded(w.address, a, "buy", t, 1000, 0.001);
    await recorded(w.address, a, "sell", t + 60, 1000, 0.003);
    await recorded(w.address, b, "buy", t + 100, 1000, 0.001);
    await recorded(w.address, b, "sell", t + 160, 1000, 0.0005);
    await recorded(w.address, c, "buy", t + 200, 1000, 0.002);
    await recorded(w.address, c, "sell", t + 300, 500, 0.005);
    await recorded(w.address, c, "sell", t + 400, 500, 0.004);
    const ev = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { strategy_id: 1 });
    expect(ev.status).toBe(200);
    expect(ev.body).toMatchObject({ source: "recorded", trades_read: 7, trades_observed: 3, wins: 2, losses: 1 });
    expect(ev.body.win_rate_percent).toBeCloseTo(200 / 3, 9);
    expect(ev.body.live_gate).toEqual({ ok: true, detail: null });
    // Mint b: the leader sold everything at half the entry → mirrored at -50 %.
    expect(ev.body.trades.find((x: { mint: string }) => x.mint === b)).toMatchObject({
      exit_reason: "mirror_exit",
      win: false,
    });
    const stored = (await api("GET", `/api/v1/wallets/${w.id}`)).body;
    expect(stored).toMatchObject({ initial_trades_observed: 3, evaluation_trades: 3, evaluation_strategy_id: 1 });
    expect(stored.initial_win_rate_percent).toBeCloseTo(200 / 3, 9);
    expect(stored.evaluated_at).toBeTruthy();
    const live = await withKey("PATCH", `/api/v1/wallets/${w.id}`, { mode: "live" });
    expect(live.status).toBe(200);
    expect(live.body.mode).toBe("live");
  });

  it("an evaluation below the win rate keeps refusing, naming the evaluated numbers", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const t = 1_790_100_000;
    for (let i = 0; i < 3; i++) {
      const m = randomAddress();
      await recorded(w.address, m, "buy", t + i * 100, 1000, 0.001);
      await recorded(w.address, m, "sell", t + i * 100 + 50, 1000, i === 0 ? 0.002 : 0.0009);
    }
    const ev = await api("POST", `/api/v1/wallets/${w.address}/evaluate`, {});
    expect(ev.body).toMatchObject({ trades_observed: 3, wins: 1 });
    expect(ev.body.live_gate.ok).toBe(false);
    const refused = await withKey("PATCH", `/api/v1/wallets/${w.id}`, { mode: "live" });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/evaluation: 3 trade\(s\) at 33\.33 % win rate/);
    // Editing the informational fields does not open the gate: only an evaluation does.
    await api("PATCH", `/api/v1/wallets/${w.id}`, { initial_win_rate_percent: 99, initial_trades_observed: 99 });
    expect((await withKey("PATCH", `/api/v1/wallets/${w.id}`, { mode: "live" })).status).toBe(422);
  });

  it("enough winning simulation copies open the gate without an evaluation", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    for (let i = 0; i < 3; i++)
      await env.DB.prepare(
        `INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status,
           entry_price_usd, entry_amount, entry_cost_usd, current_amount, realized_pnl_usd, opened_at)
         VALUES (?, ?, ?, 'M', 6, 'simulation', 'closed', 1, '1', 1, '0', ?, '2026-01-01T00:00:00.000Z')`,
      )
        .bind(`gate-pos-${w.id}-${i}`, w.id, w.address, i < 2 ? 5 : -1)
        .run();
    const live = await withKey("PATCH", `/api/v1/wallets/${w.id}`, { mode: "live" });
    expect(live.status).toBe(200);
  });

  it("force=true overrides the gate and is recorded with the numbers it overrode", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const forced = await withKey("PATCH", `/api/v1/wallets/${w.id}?force=true`, { mode: "live" });
    expect(forced.status).toBe(200);
    expect(forced.body.mode).toBe("live");
    const audit = await env.DB.prepare("SELECT * FROM live_gate_overrides WHERE wallet_id = ?").bind(w.id).all();
    expect(audit.results).toHaveLength(1);
    expect(audit.results[0]).toMatchObject({
      wallet_address: w.address,
      simulation_trades: 0,
      evaluation_trades: null,
      required_trades: 3,
      required_win_rate_percent: 60,
    });
    expect(String(audit.results[0]?.detail)).toMatch(/evaluation: none/);
    // Creating a wallet directly in live mode is gated the same way.
    const direct = await withKey("POST", "/api/v1/wallets", { address: randomAddress(), mode: "live" });
    expect(direct.status).toBe(422);
    const directForced = await withKey("POST", "/api/v1/wallets?force=true", {
      address: randomAddress(),
      mode: "live",
    });
    expect(directForced.status).toBe(201);
    const byAddress = await env.DB.prepare("SELECT COUNT(*) AS n FROM live_gate_overrides WHERE wallet_address = ?")
      .bind(directForced.body.address)
      .first<{ n: number }>();
    expect(byAddress?.n).toBe(1);
  });
});

describe("wallet evaluation", () => {
  it("evaluates backfilled trades (getSignaturesForAddress + Helius parse) without handing them to the pipeline", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const now = Math.floor(Date.now() / 1000) - 7200;
    const [a, b] = [randomAddress(), randomAddress()];
    const mk = (mint: string, side: "buy" | "sell", at: number, sol: number, tag: string) =>
      buildSwapTx({
        signature: fakeSignature(`eval-${tag}-${w.address.slice(0, 10)}`),
        wallet: w.address,
        mint,
        side,
        quote_amount: sol,
        token_amount: 100_000,
        timestamp: at,
      });
    const txs = [
      mk(a, "buy", now, 1, "a1"),
      mk(a, "sell", now + 60, 3, "a2"),
      mk(b, "buy", now + 120, 1, "b1"),
      mk(b, "sell", now + 180, 0.5, "b2"),
    ];
    await fake.wallet({
      address: w.address,
      signatures: [...txs]
        .reverse()
        .map((t, i) => ({ signature: t.signature, slot: 300_000_100 - i, blockTime: t.timestamp, err: null })),
    });
    await fake.transactions(...txs);
    const ev = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { source: "backfill", limit: 50 });
    expect(ev.status).toBe(200);
    expect(ev.body).toMatchObject({
      source: "backfill",
      trades_read: 4,
      trades_observed: 2,
      wins: 1,
      win_rate_percent: 50,
    });
    // Nothing was recorded as a signal: an evaluation never trades.
    const sigs = await env.DB.prepare("SELECT COUNT(*) AS n FROM signals WHERE wallet_address = ?")
      .bind(w.address)
      .first<{ n: number }>();
    expect(sigs?.n).toBe(0);
  });

  it("answers 404 for an unknown wallet or strategy, 400 for a bad body, 503 when the chain is unavailable", async () => {
    expect((await api("POST", "/api/v1/wallets/987654/evaluate", {})).status).toBe(404);
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const badStrategy = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { strategy_id: 999_999 });
    expect(badStrategy.status).toBe(404);
    expectErrorShape(badStrategy.body, "NotFound");
    const badSource = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { source: "tea-leaves" });
    expect(badSource.status).toBe(400);
    expectErrorShape(badSource.body, "ValidationError");
    expect(badSource.body.detail).toMatch(/source/);
    const badRules = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { strategy: { stop_loss_percent: 0 } });
    expect(badRules.status).toBe(400);
    await fake.fail("rpc.getSignaturesForAddress", { status: 500 });
    const down = await api("POST", `/api/v1/wallets/${w.id}/evaluate`, { source: "backfill" });
    expect(down.status).toBe(503);
    expectErrorShape(down.body);
    expect((await api("GET", `/api/v1/wallets/${w.id}`)).body.evaluated_at).toBeNull();
  });
});
