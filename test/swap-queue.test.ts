import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { positionIdFor } from "../src/domain/position";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import {
  buyRequest,
  LEADER,
  mint,
  orderRow,
  positionRow,
  queue,
  resetBreaker,
  setConfig,
  tripBreaker,
  waitFor,
} from "./helpers/execution";
import { fake } from "./helpers/fake";
import { patchEnv } from "./helpers/faults";
import { newSolanaSecretKey } from "./helpers/keys";
import { queueIdle } from "./helpers/queue-steps";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  // These tests are about ordering, retries and fills: the book caps are lifted (they have their own tests).
  await setConfig({
    swap_min_spacing_ms: 0,
    max_swap_retries: 3,
    simulated_slippage_bps: 100,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
  });
});

/** The message of an RPC call's rejection (awaited inside try so that no rejection goes unhandled). */
async function rejection(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    return String(err);
  }
  return "resolved";
}

const filled = (id: string) => waitFor(async () => ((await orderRow(id))?.status === "filled" ? orderRow(id) : null));

describe("SwapQueue: a BUY becomes one filled simulated order and one open position", () => {
  it("fills at price × (1 + slippage), amount = usd / fill price in base units, and opens the position", async () => {
    const m = mint("BUY");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    const req = buyRequest(m, { requested_usd: 50, wallet_id: null });
    const res = await queue().enqueue(req);
    expect(res).toMatchObject({ status: "pending", duplicate: false });
    // Issue 10: the intent is the queue's own row; its D1 row is written behind, with the fill's outcome.

    const order = (await filled(res.order_id)) as Record<string, number | string>;
    const fillPrice = 0.002 * 1.01;
    expect(order.expected_price_usd).toBeCloseTo(0.002, 12);
    expect(order.executed_price_usd).toBeCloseTo(fillPrice, 12);
    expect(order.executed_usd).toBe(50);
    expect(order.slippage_bps).toBe(100);
    expect(order.executed_at).toBeTruthy();
    expect(order.requested_at).toBeTruthy();
    const amount = BigInt(order.executed_out_amount as string);
    expect(amount).toBe(BigInt(Math.floor((50 / fillPrice) * 1e6)));
    expect(BigInt(order.expected_out_amount as string)).toBe(BigInt(Math.floor((50 / 0.002) * 1e6)));

    const pid = positionIdFor(res.order_id);
    expect(order.position_id).toBe(pid);
    const pos = await waitFor(() => positionRow(pid));
    expect(pos).toMatchObject({
      status: "open",
      token_mint: m,
      token_decimals: 6,
      mode: "simulation",
      source_wallet_address: LEADER,
      entry_order_id: res.order_id,
      entry_amount: amount.toString(),
      current_amount: amount.toString(),
      entry_cost_usd: 50,
      exit_strategy_id: 1,
    });
    // amount × entry price = cost, within one base unit of rounding.
    const value = (Number(amount) / 1e6) * (pos.entry_price_usd as number);
    expect(Math.abs(value - 50)).toBeLessThan(0.0001);
    // and against the market price, the cost is within the slippage.
    expect(((Number(amount) / 1e6) * 0.002) / 50).toBeCloseTo(1 / 1.01, 6);

    const orders = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE idempotency_key = ?")
      .bind(req.idempotency_key)
      .first<{ n: number }>();
    expect(orders?.n).toBe(1);
  });

  it("is idempotent: a second enqueue of the same key returns the same order with duplicate: true", async () => {
    const m = mint("DUP");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const req = buyRequest(m);
    const [a, b] = await Promise.all([queue().enqueue(req), queue().enqueue(req)]);
    const c = await queue().enqueue(req);
    expect(a.order_id).toBe(b.order_id);
    expect(c.order_id).toBe(a.order_id);
    expect(c.duplicate).toBe(true);
    expect([a.duplicate, b.duplicate].filter(Boolean)).toHaveLength(1);
    await filled(a.order_id);
    const again = await queue().enqueue(req);
    expect(again).toMatchObject({ order_id: a.order_id, duplicate: true, queue_state: "done" });
    // The position opens behind its fill (issue 10): its D1 row trails the order's by milliseconds.
    await waitFor(() => positionRow(positionIdFor(a.order_id)));
    await queueIdle();
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?")
      .bind(a.order_id)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
  });

  it("rejects a malformed request without writing anything", async () => {
    const m = mint("BAD");
    const bad = { ...buyRequest(m), requested_usd: -5 };
    expect(await rejection(() => queue().enqueue(bad))).toMatch(/requested_usd/);
    const noDecimals = buyRequest(m, {
      entry: { source_wallet_address: LEADER, exit_strategy_id: null, token_decimals: 40 },
    });
    expect(await rejection(() => queue().enqueue(noDecimals))).toMatch(/token_decimals/);
    const sellNoPos = { ...buyRequest(m), side: "sell" as const, position_id: null };
    expect(await rejection(() => queue().enqueue(sellNoPos))).toMatch(/position_id/);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE token_mint = ?")
      .bind(m)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });
});

describe("SwapQueue: priorities and spacing", () => {
  it("runs CRITICAL, URGENT, NORMAL, LOW, oldest first within one, each at least the spacing apart", async () => {
    const spacing = 500;
    const mints = ["A", "B", "C", "D", "E", "F"].map((t) => mint(`PRI${t}`));
    for (const m of mints) await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    // A first order executes now; a long spacing then holds the next ones while they are queued in a mixed
    // order (however slow this machine is), and a short one lets them run.
    const first = await queue().enqueue(buyRequest(mints[0] as string));
    await filled(first.order_id);
    await setConfig({ swap_min_spacing_ms: 60_000 });
    const low1 = await queue().enqueue(buyRequest(mints[1] as string, { priority: "low" }));
    const normal = await queue().enqueue(buyRequest(mints[2] as string, { priority: "normal" }));
    const low2 = await queue().enqueue(buyRequest(mints[3] as string, { priority: "low" }));
    const urgent = await queue().enqueue(buyRequest(mints[4] as string, { priority: "urgent" }));
    const critical = await queue().enqueue(buyRequest(mints[5] as string, { priority: "critical" }));
    const st = await queue().status();
    expect(st.depth).toMatchObject({ critical: 1, urgent: 1, normal: 1, low: 2 });
    // The next run waits for the spacing after the first execution.
    expect(Date.parse(String(st.next_run_at))).toBeGreaterThanOrEqual(
      Date.parse(String(st.last_execution_at)) + 59_000,
    );
    await setConfig({ swap_min_spacing_ms: spacing });
    await runDurableObjectAlarm(queue());

    const ids = [critical, urgent, normal, low1, low2].map((r) => r.order_id);
    const rows = await waitFor(async () => {
      const rs = await Promise.all([first.order_id, ...ids].map((id) => orderRow(id)));
      return rs.every((r) => r?.status === "filled") ? rs : null;
    }, 15_000);
    const times = rows.map((r) => Date.parse(String(r?.executed_at)));
    for (let i = 1; i < times.length; i++) {
      expect(times[i]).toBeGreaterThan(times[i - 1] as number);
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(spacing - 200);
    }
  });
});

describe("SwapQueue: duplicate alarm delivery", () => {
  it("two alarm runs at once execute an order once", async () => {
    const m = mint("TWICE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const warmMint = mint("TWW");
    await fake.tokens({ mint: warmMint, price_usd: 1, decimals: 6 });
    const warm = await queue().enqueue(buyRequest(warmMint));
    await filled(warm.order_id);
    await setConfig({ swap_min_spacing_ms: 60_000 });
    const res = await queue().enqueue(buyRequest(m));
    await setConfig({ swap_min_spacing_ms: 0 });
    await Promise.all([runDurableObjectAlarm(queue()), runDurableObjectAlarm(queue()), runDurableObjectAlarm(queue())]);
    await filled(res.order_id);
    // The position opens behind the fill (issue 10), its D1 row after it: waited for, then counted once.
    const count = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?")
          .bind(res.order_id)
          .first<{ n: number }>()
      )?.n ?? 0;
    await waitFor(async () => (await count()) > 0);
    expect(await count()).toBe(1);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", attempts: 0 });
    expect((await queue().status()).pending).toBe(0);
  });
});

describe("SwapQueue: circuit breaker", () => {
  it("cancels NORMAL entries with reason circuit_breaker while open; exits still run", async () => {
    const m = mint("CB");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    const open = await queue().enqueue(buyRequest(m));
    await filled(open.order_id);
    const pid = positionIdFor(open.order_id);
    await waitFor(() => positionRow(pid));

    await tripBreaker();
    const blocked = await queue().enqueue(buyRequest(m));
    expect(blocked).toMatchObject({ status: "cancelled", cancel_reason: "circuit_breaker", duplicate: false });
    expect(await waitFor(() => orderRow(blocked.order_id))).toMatchObject({
      status: "cancelled",
      cancel_reason: "circuit_breaker",
    });
    // A LOW-priority (scaling) exit of the open position still runs.
    const pos = await positionRow(pid);
    const half = (BigInt(pos?.current_amount as string) / 2n).toString();
    const exit = await queue().enqueue({
      idempotency_key: `${pid}:scaling_out:0`,
      side: "sell",
      priority: "low",
      mode: "simulation",
      token_mint: m,
      wallet_id: null,
      position_id: pid,
      reason: "scaling_out",
      sell_amount: half,
      trigger_price_usd: 4,
    });
    expect(exit.status).toBe("pending");
    const sold = (await filled(exit.order_id)) as Record<string, unknown>;
    expect(sold.executed_in_amount).toBe(half);
    expect(sold.executed_price_usd).toBeCloseTo(4 * 0.99, 10);
    await resetBreaker();
  });

  it("checks the breaker again at execution: a NORMAL entry queued before the trip is cancelled", async () => {
    const m = mint("CB2");
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    // A first execution, then a long spacing holds the next entry in the queue; the breaker trips; it comes due.
    const warmMint = mint("CBW");
    await fake.tokens({ mint: warmMint, price_usd: 1, decimals: 6 });
    const warm = await queue().enqueue(buyRequest(warmMint));
    await filled(warm.order_id);
    await setConfig({ swap_min_spacing_ms: 60_000 });
    const held = await queue().enqueue(buyRequest(m));
    expect(held.status).toBe("pending");
    await tripBreaker();
    await setConfig({ swap_min_spacing_ms: 0 });
    expect((await queue().status()).depth.normal).toBe(1);
    await runDurableObjectAlarm(queue());
    const row = await waitFor(async () => {
      const r = await orderRow(held.order_id);
      return r?.status === "cancelled" ? r : null;
    });
    expect(row.cancel_reason).toBe("circuit_breaker");
    await resetBreaker();
  });
});

describe("SwapQueue: retries and dead letters", () => {
  it("retries a failing order with backoff up to max_swap_retries, then dead-letters it", async () => {
    await setConfig({ max_swap_retries: 2 });
    const m = mint("DEAD");
    // A sell for a position no actor holds: the executor fails every time.
    const res = await queue().enqueue({
      idempotency_key: `pos_missing_${m}:manual:1`,
      side: "sell",
      priority: "urgent",
      mode: "simulation",
      token_mint: m,
      wallet_id: null,
      position_id: `pos_missing_${m}`,
      reason: "manual",
      sell_amount: "1000",
      trigger_price_usd: 1,
    });
    const attemptsSeen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const row = await orderRow(res.order_id);
      if (row?.status === "dead") break;
      attemptsSeen.push(Number(row?.attempts));
      // Skip the backoff wait: make the order due now, then run the alarm.
      await runInDurableObject(queue(), (_i, state) => {
        state.storage.sql.exec("UPDATE queue SET not_before_ms = 0");
      });
      await runDurableObjectAlarm(queue());
    }
    const row = await orderRow(res.order_id);
    expect(row).toMatchObject({ status: "dead", attempts: 3 });
    expect(String(row?.last_error)).toMatch(/position not found/);
    const st = await queue().status();
    expect(st.dead_letters.map((d) => d.order_id)).toContain(res.order_id);
    expect(st.dead_letters.find((d) => d.order_id === res.order_id)?.attempts).toBe(3);
    const viaApi = await api("GET", "/api/v1/swap-queue");
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.dead_letters.map((d: { order_id: string }) => d.order_id)).toContain(res.order_id);
    expect((await api("GET", "/api/v1/orders?status=dead")).body.items.map((o: { id: string }) => o.id)).toContain(
      res.order_id,
    );
  });

  it("keeps an order waiting (not failed) while its price is unavailable, then fills it", async () => {
    const m = mint("NOPRICE");
    await fake.tokens({ mint: m, price_usd: null, dex_price_usd: null, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await waitFor(async () => ((await orderRow(res.order_id))?.last_error === "price unavailable" ? true : null));
    expect(await orderRow(res.order_id)).toMatchObject({ status: "pending", attempts: 0 });
    await fake.tokens({ mint: m, price_usd: 0.5, dex_price_usd: 0.5 });
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec("UPDATE queue SET not_before_ms = 0");
    });
    await runDurableObjectAlarm(queue());
    const row = await filled(res.order_id);
    expect(row?.executed_price_usd).toBeCloseTo(0.505, 10);
  });
});

describe("SwapQueue: the Jupiter token bucket limits only real upstream swaps", () => {
  /** Empties the bucket, at a rate so low (one token per 100 s) that it cannot refill during the test. */
  const emptyBucket = async () => {
    await setConfig({ jupiter_swaps_per_second: 0.01, jupiter_swap_burst: 1 });
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec(
        "INSERT INTO meta (key, value) VALUES ('swap_bucket', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        JSON.stringify({ tokens: 0, at_ms: Date.now() }),
      );
    });
  };
  /** One token arrives: the clock the bucket sees is its stored state, moved here instead of waiting. */
  const oneToken = () =>
    runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'swap_bucket'",
        JSON.stringify({ tokens: 1, at_ms: Date.now() }),
      );
    });
  const tokens = () =>
    runInDurableObject(queue(), (_i, state) => {
      const raw = state.storage.sql
        .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'swap_bucket'")
        .toArray()[0]?.value;
      return raw ? (JSON.parse(raw) as { tokens: number }).tokens : null;
    });

  it("a simulated fill does not wait for a token: it fills while the bucket is empty", async () => {
    await emptyBucket();
    const m = mint("SIMNOTOKEN");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await filled(res.order_id);
    expect(await tokens()).toBe(0);
  });

  it("exits overtake entries when the bucket is empty: the next token goes to the exit", async () => {
    const m = randomAddress(); // a real address: the live exit's swap transaction names it
    await fake.tokens({ mint: m, price_usd: 2, decimals: 6 });
    await fake.tokens({ mint: "So11111111111111111111111111111111111111112", price_usd: 150, decimals: 9 });
    const open = await queue().enqueue(buyRequest(m));
    await filled(open.order_id);
    const pid = positionIdFor(open.order_id);
    const pos = await waitFor(() => positionRow(pid));
    // The trading wallet holds what the position records, so the live exit really quotes, swaps and lands.
    const key = await newSolanaSecretKey();
    await fake.wallet({
      address: key.address,
      lamports: 1_000_000_000,
      token_accounts: [{ mint: m, amount: String(pos.current_amount), decimals: 6 }],
    });
    const restore = await patchEnv(queue(), { WALLET_PRIVATE_KEY: key.secret });
    await emptyBucket();

    // A live entry is queued first, a live stop-loss exit after it; neither has a token.
    const entry = await queue().enqueue(buyRequest(mint("BUCKETENTRY"), { mode: "live" }));
    const exit = await queue().enqueue({
      idempotency_key: `${pid}:stop_loss`,
      side: "sell",
      priority: "urgent",
      mode: "live",
      token_mint: m,
      wallet_id: null,
      position_id: pid,
      reason: "stop_loss",
      sell_fraction: 1,
      trigger_price_usd: 1,
    });
    await runDurableObjectAlarm(queue());
    await queueIdle();
    expect((await orderRow(entry.order_id))?.status).toBe("pending");
    expect((await orderRow(exit.order_id))?.status).toBe("pending");
    const st = await queue().status();
    expect(st.depth).toMatchObject({ urgent: 1, normal: 1 });
    // The alarm waits for the next token (100 s at this rate), not for nothing.
    expect(Date.parse(String(st.next_run_at))).toBeGreaterThan(Date.now() + 50_000);

    // One token: the exit takes it (its quote, swap and landed transaction), and the entry queued before it
    // still waits for the next one.
    await oneToken();
    await runDurableObjectAlarm(queue());
    await queueIdle();
    const exitRow = await waitFor(async () => {
      const r = await orderRow(exit.order_id);
      return r?.status === "filled" ? r : null;
    });
    expect(exitRow.tx_signature).toBeTruthy();
    expect((await fake.requests()).filter((r) => r.route === "jupiter.quote")).toHaveLength(1);
    expect((await orderRow(entry.order_id))?.status).toBe("pending");
    expect(await tokens()).toBeLessThan(1);

    // The next token goes to the entry (refused: live_trading_enabled is off, so it is dead-lettered).
    await oneToken();
    await runDurableObjectAlarm(queue());
    await queueIdle();
    const entryRow = await waitFor(async () => {
      const r = await orderRow(entry.order_id);
      return r?.status === "dead" ? r : null;
    });
    expect(String(entryRow.last_error)).toMatch(/^LIVE_OFF/);
    await restore();
    await setConfig({ jupiter_swaps_per_second: 0.5, jupiter_swap_burst: 2 });
  });

  it("the bucket's state survives eviction: an evicted queue does not come back with a full bucket", async () => {
    await emptyBucket();
    const entry = await queue().enqueue(buyRequest(mint("BUCKETEVICT"), { mode: "live" }));
    await evictDurableObject(queue());
    await runDurableObjectAlarm(queue());
    await queueIdle();
    expect((await orderRow(entry.order_id))?.status).toBe("pending");
    expect(await tokens()).toBe(0);
    await oneToken();
    await runDurableObjectAlarm(queue());
    await queueIdle();
    await waitFor(async () => ((await orderRow(entry.order_id))?.status === "dead" ? true : null));
    await setConfig({ jupiter_swaps_per_second: 0.5, jupiter_swap_burst: 2 });
  });
});

describe("SwapQueue: simulated fills are not spaced", () => {
  it("the shipped config spaces nothing: swap_min_spacing_ms defaults to 0, the bucket to 0.5 swaps/s, burst 2", async () => {
    // The column defaults, as a fresh database gets them (the migrated singleton row has been edited by tests).
    const cols = await env.DB.prepare("SELECT name, dflt_value FROM pragma_table_info('config')").all<{
      name: string;
      dflt_value: string | null;
    }>();
    const dflt = Object.fromEntries(cols.results.map((c) => [c.name, c.dflt_value]));
    expect(dflt.swap_min_spacing_ms).toBe("0");
    expect(Number(dflt.jupiter_swaps_per_second)).toBe(0.5);
    expect(dflt.jupiter_swap_burst).toBe("2");
  });

  it("one alarm run fills every due simulated entry, one after the other, without waiting between them", async () => {
    const warmMint = mint("NOSPACEW");
    await fake.tokens({ mint: warmMint, price_usd: 1, decimals: 6 });
    await filled((await queue().enqueue(buyRequest(warmMint))).order_id);
    await setConfig({ swap_min_spacing_ms: 60_000 });
    const ids: string[] = [];
    for (const t of ["A", "B", "C"]) {
      const m = mint(`NOSPACE${t}`);
      await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
      ids.push((await queue().enqueue(buyRequest(m))).order_id);
    }
    await setConfig({ swap_min_spacing_ms: 0 });
    await runDurableObjectAlarm(queue());
    await queueIdle();
    for (const id of ids) expect((await orderRow(id))?.status).toBe("filled");
  });

  it("the due simulated entries of one run are priced in one PriceFeed round, each filled at its own price", async () => {
    const warmMint = mint("BURSTW");
    await fake.tokens({ mint: warmMint, price_usd: 1, decimals: 6 });
    await filled((await queue().enqueue(buyRequest(warmMint))).order_id);
    await setConfig({ swap_min_spacing_ms: 60_000 });
    const orders: { id: string; price: number }[] = [];
    for (const [i, t] of ["A", "B", "C", "D", "E"].entries()) {
      const m = mint(`BURST${t}`);
      await fake.tokens({ mint: m, price_usd: i + 1, decimals: 6 });
      orders.push({ id: (await queue().enqueue(buyRequest(m))).order_id, price: i + 1 });
    }
    const before = (await fake.calls())["jupiter.price"] ?? 0;
    await setConfig({ swap_min_spacing_ms: 0 });
    await runDurableObjectAlarm(queue());
    await queueIdle();
    for (const o of orders) {
      const row = await waitFor(async () => ((await orderRow(o.id))?.status === "filled" ? orderRow(o.id) : null));
      expect(row?.executed_price_usd).toBeCloseTo(o.price * 1.01, 10);
    }
    // One Jupiter call for the five (one round of the feed), not one per entry.
    expect(((await fake.calls())["jupiter.price"] ?? 0) - before).toBe(1);
  });
});
