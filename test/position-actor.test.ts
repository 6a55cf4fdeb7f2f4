import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { LEADER, mint, positionRow, resetBreaker, setConfig, tripBreaker, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition, ordersOf } from "./helpers/positions";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ swap_min_spacing_ms: 0, simulated_slippage_bps: 100, max_swap_retries: 3 });
});

const settled = (positionId: string, n: number) =>
  waitFor(async () => {
    const os = await ordersOf(positionId);
    return os.length >= n && os.every((o) => o.status === "filled" || o.status === "cancelled") ? os : null;
  });

describe("PositionActor: open", () => {
  it("writes the positions row once, a second open is a no-op, and arms the poll", async () => {
    const m = mint("OPEN");
    const { id, actor } = await openPosition(m, { entry_price_usd: 0.5, entry_amount: "2000000", entry_cost_usd: 1 });
    const again = await actor.open({
      position_id: id,
      entry_order_id: "other",
      wallet_id: null,
      source_wallet_address: LEADER,
      signal_id: null,
      token_mint: m,
      token_decimals: 6,
      mode: "simulation",
      exit_strategy_id: 2,
      entry_price_usd: 9,
      entry_amount: "1",
      entry_cost_usd: 9,
    });
    expect(again.created).toBe(false);
    const row = await positionRow(id);
    expect(row).toMatchObject({
      status: "open",
      entry_price_usd: 0.5,
      entry_amount: "2000000",
      current_amount: "2000000",
      entry_cost_usd: 1,
      exit_strategy_id: 1,
      source_wallet_address: LEADER,
    });
    expect(row?.next_poll_at).toBeTruthy();
    expect((await actor.status()).next_alarm_at).not.toBeNull();
  });
});

describe("PositionActor: fills", () => {
  it("decrements the amount, accumulates realized PnL with a weighted average exit price, closes when empty", async () => {
    const { id, actor } = await openPosition(mint("FILL"), { entry_price_usd: 1, entry_amount: "1000000000" }); // 1000 tokens, $1000
    const a = await actor.applyFill({
      order_id: "f1",
      sold_amount: "250000000",
      proceeds_usd: 500,
      price_usd: 2,
      reason: "scaling_out",
    });
    expect(a).toMatchObject({ applied: true, status: "open", current_amount: "750000000" });
    // The same order again changes nothing.
    expect(
      (
        await actor.applyFill({
          order_id: "f1",
          sold_amount: "250000000",
          proceeds_usd: 500,
          price_usd: 2,
          reason: "scaling_out",
        })
      ).applied,
    ).toBe(false);
    await actor.applyFill({
      order_id: "f2",
      sold_amount: "250000000",
      proceeds_usd: 1000,
      price_usd: 4,
      reason: "scaling_out",
    });
    let row = await positionRow(id);
    expect(row).toMatchObject({
      current_amount: "500000000",
      sold_amount: "500000000",
      exit_proceeds_usd: 1500,
      status: "open",
    });
    expect(row?.realized_pnl_usd).toBeCloseTo(1500 - 500, 9);
    expect(row?.avg_exit_price_usd).toBeCloseTo(3, 9);

    // A fill larger than what remains is capped at what remains (proceeds pro rata).
    await actor.applyFill({
      order_id: "f3",
      sold_amount: "600000000",
      proceeds_usd: 600,
      price_usd: 1,
      reason: "manual",
    });
    row = await positionRow(id);
    expect(row).toMatchObject({
      current_amount: "0",
      sold_amount: "1000000000",
      status: "closed",
      exit_reason: "manual",
    });
    expect(row?.exit_proceeds_usd).toBeCloseTo(2000, 9);
    expect(row?.realized_pnl_usd).toBeCloseTo(1000, 9);
    expect(row?.total_pnl_usd).toBeCloseTo(1000, 9);
    expect(row?.pnl_percent).toBeCloseTo(100, 9);
    expect(row?.closed_at).toBeTruthy();
    expect((await actor.status()).next_alarm_at).toBeNull();
  });
});

describe("PositionActor: alarm-driven exits", () => {
  it("scales out at 2x once (LOW, fills at the tick price), never queuing the same level twice", async () => {
    const m = mint("SCALE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 2 });
    await runDurableObjectAlarm(actor);
    const [o] = await settled(id, 1);
    expect(o).toMatchObject({
      side: "sell",
      priority: "low",
      reason: "scaling_out",
      status: "filled",
      idempotency_key: `${id}:scaling_out:x2`,
      executed_in_amount: "500000000",
    });
    expect(o?.executed_price_usd).toBeCloseTo(2 * 0.99, 10);
    await waitFor(async () => ((await positionRow(id))?.current_amount === "500000000" ? true : null));
    await runDurableObjectAlarm(actor);
    await runDurableObjectAlarm(actor);
    expect(await ordersOf(id)).toHaveLength(1);
    const row = await positionRow(id);
    expect(row).toMatchObject({
      current_amount: "500000000",
      status: "open",
      price_source: "jupiter",
      current_price_usd: 2,
    });
    expect(row?.realized_pnl_usd).toBeCloseTo(500 * 1.98 - 500, 6);
    expect(row?.unrealized_pnl_usd).toBeCloseTo(500 * 2 - 500, 6);
    expect(JSON.parse(String(row?.scaling_levels_hit))).toEqual([2]);
    const summary = await actor.summary();
    expect(summary?.price_history.ticks).toBeGreaterThanOrEqual(3);
  });

  it("stop-loss fires while the circuit breaker is open, fills at the gap price and closes the position", async () => {
    const m = mint("STOP");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await tripBreaker();
    await fake.prices({ [m]: 0.6 }); // gap below the 20 % stop
    await runDurableObjectAlarm(actor);
    const [o] = await settled(id, 1);
    expect(o).toMatchObject({
      priority: "urgent",
      reason: "stop_loss",
      status: "filled",
      executed_in_amount: "1000000000",
    });
    expect(o?.executed_price_usd).toBeCloseTo(0.6 * 0.99, 10);
    const row = await waitFor(async () => ((await positionRow(id))?.status === "closed" ? positionRow(id) : null));
    expect(row).toMatchObject({ exit_reason: "stop_loss", current_amount: "0" });
    expect(row?.realized_pnl_usd).toBeCloseTo(1000 * 0.594 - 1000, 6);
    // A closed position polls no more.
    expect(await runDurableObjectAlarm(actor)).toBe(false);
    await resetBreaker();
  });

  it("arms the trailing stop past its activation and exits at URGENT on the drawdown from the peak", async () => {
    const m = mint("TRAIL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 1.6 }); // +60 %: past the 50 % activation, below the 2x scaling level
    await runDurableObjectAlarm(actor);
    expect(await positionRow(id)).toMatchObject({ trailing_active: 1, peak_price_usd: 1.6, poll_interval_seconds: 30 });
    await fake.prices({ [m]: 1.3 }); // 18.75 % below the peak, past the 15 % trail
    await runDurableObjectAlarm(actor);
    const [o] = await settled(id, 1);
    expect(o).toMatchObject({ priority: "urgent", reason: "trailing_stop", executed_in_amount: "1000000000" });
    expect(o?.executed_price_usd).toBeCloseTo(1.3 * 0.99, 10);
    const row = await waitFor(async () => ((await positionRow(id))?.status === "closed" ? positionRow(id) : null));
    expect(row).toMatchObject({ exit_reason: "trailing_stop" });
  });

  it("polls at the adaptive interval: 60 s when calm, 20 s near a trigger", async () => {
    const m = mint("POLL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await runDurableObjectAlarm(actor);
    expect(await positionRow(id)).toMatchObject({ poll_interval_seconds: 60, current_price_usd: 1 });
    await fake.prices({ [m]: 0.82 }); // within 5 % of the Default 20 % stop (0.80)
    await runDurableObjectAlarm(actor);
    expect(await positionRow(id)).toMatchObject({ poll_interval_seconds: 20, current_price_usd: 0.82 });
    expect(await ordersOf(id)).toHaveLength(0);
    const alarm = (await actor.status()).next_alarm_at;
    expect(Date.parse(String(alarm)) - Date.now()).toBeLessThanOrEqual(20_000);
    expect(Date.parse(String(alarm)) - Date.now()).toBeGreaterThan(15_000);
  });

  it("a losing close runs the breaker's automatic rules (drawdown trips it once)", async () => {
    const m = mint("DRAW");
    const { id, actor } = await openPosition(m, { entry_price_usd: 1, entry_amount: "1000000000" }); // $1000
    await actor.applyFill({
      order_id: `loss_${id}`,
      sold_amount: "1000000000",
      proceeds_usd: 500,
      price_usd: 0.5,
      reason: "stop_loss",
    });
    const ev = await waitFor(() =>
      env.DB.prepare("SELECT * FROM circuit_breaker_events ORDER BY id DESC LIMIT 1").first<Record<string, unknown>>(),
    );
    expect(ev).toMatchObject({ event_type: "trip", trigger: "max_drawdown" });
    await resetBreaker();
  });

  it("records an unavailable price and retries at the urgent interval", async () => {
    const m = mint("NOPX");
    const { id, actor } = await openPosition(m);
    await runDurableObjectAlarm(actor);
    const row = await positionRow(id);
    expect(row).toMatchObject({ status: "open", price_source: null, poll_interval_seconds: 20 });
    expect((await actor.summary())?.last_error).toBe("price unavailable");
    expect(await ordersOf(id)).toHaveLength(0);
  });

  it("an alarm whose enqueue throws is retried without losing or doubling the exit", async () => {
    const m = mint("FAULT");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 0.5 });
    await runInDurableObject(actor, (instance) => {
      (instance as unknown as { swapQueue: () => unknown }).swapQueue = () => ({
        enqueue: async () => {
          throw new Error("injected queue fault");
        },
      });
    });
    await runDurableObjectAlarm(actor);
    expect(await ordersOf(id)).toHaveLength(0);
    const pending = await actor.summary();
    expect(pending?.exits).toMatchObject([{ reason: "stop_loss", state: "decided" }]);
    expect(pending?.last_error).toMatch(/injected queue fault/);
    await runInDurableObject(actor, (instance) => {
      delete (instance as unknown as { swapQueue?: unknown }).swapQueue;
    });
    // The retry runs (the alarm was re-armed) and enqueues the recorded exit; more runs add nothing.
    expect(await runDurableObjectAlarm(actor)).toBe(true);
    await runDurableObjectAlarm(actor);
    const os = await settled(id, 1);
    expect(os).toHaveLength(1);
    expect(os[0]).toMatchObject({ reason: "stop_loss", status: "filled", idempotency_key: `${id}:stop_loss` });
    await waitFor(async () => ((await positionRow(id))?.status === "closed" ? true : null));
  });
});

describe("PositionActor: manual exit with a failing queue", () => {
  it("keeps the decided exit and enqueues it on the next alarm, once", async () => {
    const m = mint("MQF");
    await fake.tokens({ mint: m, price_usd: 1.1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await runInDurableObject(actor, (instance) => {
      (instance as unknown as { swapQueue: () => unknown }).swapQueue = () => ({
        enqueue: async () => {
          throw new Error("injected queue fault");
        },
      });
    });
    const r = await actor.requestExit({ percent: 50 });
    expect(r).toMatchObject({ ok: true, order_id: null, amount: "500000000" });
    expect(await ordersOf(id)).toHaveLength(0);
    const alarm = Date.parse(String((await actor.status()).next_alarm_at));
    expect(alarm - Date.now()).toBeLessThanOrEqual(5_000);
    await runInDurableObject(actor, (instance) => {
      delete (instance as unknown as { swapQueue?: unknown }).swapQueue;
    });
    await runDurableObjectAlarm(actor);
    await runDurableObjectAlarm(actor);
    const os = await settled(id, 1);
    expect(os).toHaveLength(1);
    expect(os[0]).toMatchObject({
      reason: "manual",
      priority: "urgent",
      executed_in_amount: "500000000",
      idempotency_key: `${id}:manual:1`,
    });
  });
});

describe("PositionActor: eviction", () => {
  it("keeps its identity, amounts and decided exits across an eviction", async () => {
    const m = mint("EVICT");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await actor.applyFill({
      order_id: `ev1_${id}`,
      sold_amount: "100000000",
      proceeds_usd: 120,
      price_usd: 1.2,
      reason: "manual",
    });
    await evictDurableObject(actor);
    // The same fill after the eviction is still recognised.
    expect(
      (
        await actor.applyFill({
          order_id: `ev1_${id}`,
          sold_amount: "100000000",
          proceeds_usd: 120,
          price_usd: 1.2,
          reason: "manual",
        })
      ).applied,
    ).toBe(false);
    await fake.prices({ [m]: 2 });
    expect(await runDurableObjectAlarm(actor)).toBe(true);
    const [o] = await settled(id, 1);
    // Scaling sizes on the ENTRY amount: 50 % of 1000 tokens, capped by the 900 that remain.
    expect(o).toMatchObject({ reason: "scaling_out", executed_in_amount: "500000000" });
    const row = await waitFor(async () =>
      (await positionRow(id))?.current_amount === "400000000" ? positionRow(id) : null,
    );
    expect(row).toMatchObject({ status: "open", sold_amount: "600000000" });
  });
});

describe("PositionActor: mirror exit", () => {
  it("sells the leader's fraction at CRITICAL for positions copied from that leader only, once per signal", async () => {
    const m = mint("MIR");
    await fake.tokens({ mint: m, price_usd: 1.5, decimals: 6 });
    const { id, actor } = await openPosition(m);
    const sig = await env.DB.prepare(
      `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, webhook_received_at, raw_payload)
       VALUES (?, ?, 'sell', ?, ?, '{}') RETURNING id`,
    )
      .bind(`sig-${m}`, LEADER, m, new Date().toISOString())
      .first<{ id: number }>();
    const req = {
      signal_id: sig?.id as number,
      transaction_signature: `sig-${m}`,
      leader_address: LEADER,
      token_mint: m,
      fraction: 0.4,
    };
    expect(
      await actor.mirrorExit({ ...req, leader_address: "SomeoneElse1111111111111111111111111111111" }),
    ).toMatchObject({ queued: false, reason: "other_leader" });
    expect(await actor.mirrorExit({ ...req, token_mint: "OtherMint" })).toMatchObject({
      queued: false,
      reason: "other_token",
    });
    const r = await actor.mirrorExit(req);
    expect(r.queued).toBe(true);
    const again = await actor.mirrorExit(req);
    expect(again.order_id).toBe(r.order_id);
    const os = await settled(id, 1);
    expect(os).toHaveLength(1);
    expect(os[0]).toMatchObject({
      signal_id: sig?.id,
      priority: "critical",
      reason: "mirror_exit",
      executed_in_amount: "400000000",
      status: "filled",
    });
    expect(os[0]?.executed_price_usd).toBeCloseTo(1.5 * 0.99, 10);
    const row = await waitFor(async () =>
      (await positionRow(id))?.current_amount === "600000000" ? positionRow(id) : null,
    );
    expect(row).toMatchObject({ status: "open", sold_amount: "400000000" });
  });

  it("does nothing when the strategy disables mirror exits", async () => {
    const m = mint("MIROFF");
    const { actor } = await openPosition(m);
    const set = await actor.setStrategyOverride({ mirror_exit_enabled: false });
    expect(set.ok).toBe(true);
    const r = await actor.mirrorExit({
      signal_id: 7,
      transaction_signature: "s7",
      leader_address: LEADER,
      token_mint: m,
      fraction: 1,
    });
    expect(r).toMatchObject({ queued: false, reason: "mirror_exit_disabled" });
  });
});
