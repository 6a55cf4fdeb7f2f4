import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { positionIdFor } from "../src/domain/position";
import { SIM_QUOTE_BUDGET_MS } from "../src/pipeline/sim-quote";
import { admitCall } from "../src/upstream/health-tracker";
import { UpstreamError } from "../src/upstream/http";
import { fetchQuote } from "../src/upstream/jupiter";
import { buyRequest, mint, orderRow, positionRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { patchEnv } from "./helpers/faults";
import { holdQueue, queueIdle, stepQueue } from "./helpers/queue-steps";

/**
 * Issue 11 "simulation stays the same pipeline": the real SwapQueue prices a simulated fill by the fake
 * Jupiter's quote (scripted with a price impact) when a spare swap token is there and the quote answers within
 * its budget, and by simulated_slippage_bps otherwise. The bucket is set by the test (one token per 100 s, so
 * it cannot refill meanwhile), never left to the clock.
 */
const WSOL = "So11111111111111111111111111111111111111112";
const SOL_PRICE = 150; // the fake's default
const SLOT = 299283763; // the fake quote's contextSlot

const setTokens = (tokens: number) =>
  runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('swap_bucket', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      JSON.stringify({ tokens, at_ms: Date.now() }),
    );
  });
const tokens = () =>
  runInDurableObject(queue(), (_i, state) => {
    const raw = state.storage.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'swap_bucket'")
      .toArray()[0]?.value;
    // Whole tokens: at one per 100 s the bucket refills a fraction while the test runs, never a whole one.
    return raw ? Math.floor((JSON.parse(raw) as { tokens: number }).tokens) : null;
  });
const quoteRequests = async () =>
  (await fake.requests()).filter((r) => r.route === "jupiter.quote").map((r) => r.body as Record<string, string>);
const filled = (id: string) =>
  waitFor(async () => {
    const r = await orderRow(id);
    return r?.status === "filled" ? r : null;
  });

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({
    simulation_quotes_enabled: true,
    simulated_slippage_bps: 100,
    slippage_bps: 300,
    swap_min_spacing_ms: 0,
    live_trading_enabled: false,
    max_swap_retries: 3,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
    jupiter_swaps_per_second: 0.01,
    jupiter_swap_burst: 5,
  });
  await setTokens(2);
});

/** The slippage model's BUY at `price` with 100 bps: the fill price and the amount for $50. */
const slippageBuy = (price: number) => ({
  executed_price_usd: price * 1.01,
  executed_out_amount: String(BigInt(Math.floor((50 / (price * 1.01)) * 1e6))),
});

describe("a simulated fill priced by the Jupiter quote", () => {
  it("the shipped default is on (the test setup turns it off for every other file)", async () => {
    const cols = await env.DB.prepare("SELECT name, dflt_value FROM pragma_table_info('config')").all<{
      name: string;
      dflt_value: string | null;
    }>();
    const dflt = cols.results.find((c) => c.name === "simulation_quotes_enabled")?.dflt_value;
    expect(["true", "1"]).toContain(dflt);
  });

  it("BUY: fills at the quote's out amount for the lamports a live BUY would send; its 5 % price impact is in the fill", async () => {
    const m = mint("SQBUY");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    const res = await queue().enqueue(buyRequest(m, { requested_usd: 50 }));
    const order = await filled(res.order_id);

    // The same input a live BUY sends: $50 / $150 in lamports, floored; the live slippage tolerance.
    const lamports = Math.floor((50 / SOL_PRICE) * 1e9); // 333 333 333
    const asked = await quoteRequests();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      inputMint: WSOL,
      outputMint: m,
      amount: String(lamports),
      slippageBps: "300",
      swapMode: "ExactIn",
    });
    // The fake's quote: the lamports' USD value at the token price, 5 % less.
    const usd = (lamports / 1e9) * SOL_PRICE;
    const out = BigInt(Math.floor((usd / 0.002) * 1e6 * 0.95));
    expect(order.executed_out_amount).toBe(out.toString());
    expect(order.executed_in_amount).toBe(String(lamports));
    expect(order.executed_usd as number).toBeCloseTo(usd, 9);
    expect(order.executed_price_usd as number).toBeCloseTo(usd / (Number(out) / 1e6), 12);
    // ≈ 0.002 / 0.95: 526 bps over the market price (the slippage model would say 100)
    expect(order.executed_price_usd as number).toBeCloseTo(0.002 / 0.95, 8);
    expect(order.slippage_bps as number).toBeCloseTo((1 / 0.95 - 1) * 10_000, 1);
    expect(order.expected_price_usd).toBe(0.002);
    // The model used, for the operator: the quote's slot.
    expect(order.quote_context_slot).toBe(SLOT);
    // One token spent, the position opened with the quoted amount at the quoted price.
    expect(await tokens()).toBe(1);
    const pos = await waitFor(() => positionRow(positionIdFor(res.order_id)));
    expect(pos.entry_amount).toBe(out.toString());
    expect(pos.entry_price_usd as number).toBeCloseTo(order.executed_price_usd as number, 15);
    expect(pos.entry_cost_usd as number).toBeCloseTo(usd, 9);
  });

  it("SELL: a simulated exit fills at the quote's SOL out for the amount it sells (token → SOL)", async () => {
    const m = mint("SQSELL");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    const open = await queue().enqueue(buyRequest(m));
    await filled(open.order_id);
    const pid = positionIdFor(open.order_id);
    const pos = await waitFor(() => positionRow(pid));
    const amount = String(pos.current_amount);
    await fake.tokens({ mint: m, quote_price_impact_pct: 4 });

    const exit = await queue().enqueue({
      idempotency_key: `${pid}:stop_loss`,
      side: "sell",
      priority: "urgent",
      mode: "simulation",
      token_mint: m,
      wallet_id: null,
      position_id: pid,
      reason: "stop_loss",
      sell_fraction: 1,
      trigger_price_usd: 0.002,
    });
    const order = await filled(exit.order_id);
    const asked = (await quoteRequests()).at(-1);
    expect(asked).toMatchObject({ inputMint: m, outputMint: WSOL, amount });
    const lamports = BigInt(Math.floor(((Number(amount) / 1e6) * 0.002 * 0.96 * 1e9) / SOL_PRICE));
    expect(order.executed_in_amount).toBe(amount);
    expect(order.executed_out_amount).toBe(lamports.toString());
    const proceeds = (Number(lamports) / 1e9) * SOL_PRICE;
    expect(order.executed_usd as number).toBeCloseTo(proceeds, 9);
    expect(order.executed_price_usd as number).toBeCloseTo(0.002 * 0.96, 9);
    expect(order.slippage_bps as number).toBeCloseTo(400, 1);
    expect(order.quote_context_slot).toBe(SLOT);
    const closed = await waitFor(async () => {
      const p = await positionRow(pid);
      return p?.status === "closed" ? p : null;
    });
    expect(closed.current_amount).toBe("0");
    expect(await tokens()).toBe(0); // the entry's quote and the exit's
  });
});

describe("otherwise the fill is priced with simulated_slippage_bps, at once", () => {
  it("no token free: no quote, no wait, the bucket untouched", async () => {
    await setTokens(0.5);
    const m = mint("SQNOTOKEN");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    const res = await queue().enqueue(buyRequest(m));
    const order = await filled(res.order_id);
    expect(order).toMatchObject({ ...slippageBuy(0.002), slippage_bps: 100, quote_context_slot: null });
    expect(order.executed_price_usd as number).toBeCloseTo(0.002 * 1.01, 12);
    expect(order.executed_in_amount).toBeNull();
    expect(await quoteRequests()).toHaveLength(0);
    expect(await tokens()).toBe(0);
  });

  it("the flag off: no quote, no token taken", async () => {
    await setConfig({ simulation_quotes_enabled: false });
    const m = mint("SQOFF");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    const order = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(order).toMatchObject({ slippage_bps: 100, quote_context_slot: null });
    expect(order.executed_price_usd as number).toBeCloseTo(0.002 * 1.01, 12);
    expect(await quoteRequests()).toHaveLength(0);
    expect(await tokens()).toBe(2);
  });

  it("a quote error (HTTP 500), a 429, or no route: the slippage model", async () => {
    const m = mint("SQERR");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    await setTokens(5);
    await fake.fail("jupiter.quote", { status: 500, times: 1 });
    const a = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(a).toMatchObject({ slippage_bps: 100, quote_context_slot: null });
    expect(a.executed_price_usd as number).toBeCloseTo(0.002 * 1.01, 12);

    await fake.fail("jupiter.quote", { status: 429, times: 1 });
    const b = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(b).toMatchObject({ slippage_bps: 100, quote_context_slot: null });

    // Jupiter has no route (no Jupiter price either; the fill's price is DexScreener's).
    const n = mint("SQNOROUTE");
    await fake.tokens({ mint: n, price_usd: null, dex_price_usd: 0.004, decimals: 6 });
    const c = await filled((await queue().enqueue(buyRequest(n))).order_id);
    expect(c).toMatchObject({ slippage_bps: 100, quote_context_slot: null });
    expect(c.executed_price_usd as number).toBeCloseTo(0.004 * 1.01, 12);
    expect(await quoteRequests()).toHaveLength(3);
  });

  it("a quote that does not answer within the budget is given up (aborted): the slippage model", async () => {
    const m = mint("SQSLOW");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    await fake.hold("jupiter.quote"); // never answers until released
    // A 30 s upstream timeout: only the simulated fill's own budget (1 s) can end the wait.
    const restore = await patchEnv(queue(), { UPSTREAM_TIMEOUT_MS: "30000" });
    const res = await queue().enqueue(buyRequest(m));
    const order = await filled(res.order_id);
    expect(order).toMatchObject({ slippage_bps: 100, quote_context_slot: null });
    expect(await fake.held("jupiter.quote")).toBe(1);
    expect(order.execution_duration_ms as number).toBeGreaterThanOrEqual(SIM_QUOTE_BUDGET_MS - 50);
    expect(order.execution_duration_ms as number).toBeLessThan(15_000);
    await fake.release("jupiter.quote");
    await restore();
  });

  it("a quote given up by its budget is not held against Jupiter: the upstream breaker stays closed", async () => {
    const m = mint("SQBREAKER");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    await fake.hold("jupiter.quote");
    const jup = { JUPITER_API_URL: env.JUPITER_API_URL, JUPITER_API_KEY: "", UPSTREAM_TIMEOUT_MS: "30000" };
    const p = { inputMint: WSOL, outputMint: m, amount: "1000", slippageBps: 300 };
    // More than half of the breaker's window of 10 calls, every one given up by the caller.
    for (let i = 0; i < 7; i++) {
      const abort = new AbortController();
      const call = fetchQuote(jup, p, { signal: abort.signal }).then(
        () => null,
        (e: unknown) => e,
      );
      await waitFor(async () => (await fake.held("jupiter.quote")) > i);
      abort.abort();
      const err = await call;
      expect(err).toBeInstanceOf(UpstreamError);
    }
    expect(admitCall("jupiter")).toBe("go");
    await fake.release("jupiter.quote");
  });
});

describe("live orders keep the tokens they need", () => {
  /** A live entry pending and not yet signed (held back by a far not_before, as by a backoff). */
  async function waitingLiveOrder() {
    await holdQueue(); // so that it cannot run before it is held back
    const live = await queue().enqueue(buyRequest(mint("SQLIVE"), { mode: "live" }));
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE queue SET not_before_ms = ? WHERE order_id = ?",
        Date.now() + 3_600_000,
        live.order_id,
      );
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
    });
    await setConfig({ swap_min_spacing_ms: 0 });
    expect((await orderRow(live.order_id))?.status).toBe("pending");
    return live.order_id;
  }

  it("the last token is never taken while a live order waits for one; a second one is spare", async () => {
    await setTokens(1);
    const live = await waitingLiveOrder();
    const m = mint("SQLAST");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    const a = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(a).toMatchObject({ slippage_bps: 100, quote_context_slot: null });
    expect(await tokens()).toBe(1);
    expect(await quoteRequests()).toHaveLength(0);

    await setTokens(2);
    const b = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(b.quote_context_slot).toBe(SLOT);
    expect(await tokens()).toBe(1); // the live order's token is still there

    // The live order runs (no trading key in this env: refused before any Jupiter call), leaving no order behind.
    await holdQueue();
    await stepQueue();
    await waitFor(async () => ((await orderRow(live))?.status === "dead" ? true : null));
    await setConfig({ swap_min_spacing_ms: 0 });
  });

  it("while live trading is on the last token stays for the live order that may come", async () => {
    await setConfig({ live_trading_enabled: true });
    await setTokens(1);
    const m = mint("SQLIVEON");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    const a = await filled((await queue().enqueue(buyRequest(m))).order_id);
    expect(a.quote_context_slot).toBeNull();
    expect(await tokens()).toBe(1);
    await setConfig({ live_trading_enabled: false });
  });
});

describe("faults around the simulated quote", () => {
  it("a crash while the quote is in flight: the order stays pending, is priced again, and fills once", async () => {
    const m = mint("SQCRASH");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, quote_price_impact_pct: 5 });
    await holdQueue();
    await fake.hold("jupiter.quote");
    // The quote waits for the crash, not for a budget or a timeout (the new instance after it has neither patch).
    await patchEnv(queue(), { UPSTREAM_TIMEOUT_MS: "60000" });
    await runInDurableObject(queue(), (instance) => {
      const i = instance as unknown as { simQuotes: () => object };
      const deps = i.simQuotes.bind(i);
      i.simQuotes = () => ({ ...deps(), budget_ms: 60_000 });
    });
    const res = await queue().enqueue(buyRequest(m));
    // One execution, stopped inside the quote by the crash.
    const run = runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
    }).then(() => runDurableObjectAlarm(queue()).catch(() => false));
    await waitFor(async () => (await fake.held("jupiter.quote")) === 1);
    await abortAllDurableObjects();
    await run;
    await fake.release("jupiter.quote");
    expect((await orderRow(res.order_id))?.status).toBe("pending");
    // The token taken before the call stays taken (stored before it): a retry never overruns the limit.
    expect(await tokens()).toBe(1);

    await stepQueue();
    const order = await filled(res.order_id);
    expect(order.quote_context_slot).toBe(SLOT);
    await queueIdle();
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?")
      .bind(res.order_id)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
    expect(await tokens()).toBe(0);
    await setConfig({ swap_min_spacing_ms: 0 });
  });
});
