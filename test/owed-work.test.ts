import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { settleOrder } from "../src/db/orders-store";
import { SIGNALS_READ_COLUMNS } from "../src/db/signal-outcomes";
import { positionIdFor } from "../src/domain/position";
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
import { faultyD1, faultyNamespace, patchEnv } from "./helpers/faults";
import { openPosition, ordersOf } from "./helpers/positions";
import { holdOwed, holdQueue, owedSteps, stepQueue } from "./helpers/queue-steps";

/**
 * Issue 9 items 3, 5 and 6: what an order's outcome still owes elsewhere (the D1 rows, opening the position,
 * applying or releasing an exit) is recorded with the outcome and retried until done, and a filled order is
 * never executed again. Every run of the queue is driven explicitly (test/helpers/queue-steps.ts).
 */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({
    max_swap_retries: 3,
    simulated_slippage_bps: 100,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
  });
  await holdQueue();
  // Each test starts with an empty queue: an order left by an earlier test would run first.
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec("UPDATE queue SET state = 'cancelled', last_error = 'test reset' WHERE state = 'pending'");
  });
});

async function signalFor(tokenMint: string, type: "buy" | "sell" = "buy") {
  const row = await env.DB.prepare(
    `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, webhook_received_at, raw_payload)
     VALUES (?, ?, ?, ?, ?, '{}') RETURNING id`,
  )
    .bind(`sig-${tokenMint}-${crypto.randomUUID()}`, LEADER, type, tokenMint, new Date().toISOString())
    .first<{ id: number }>();
  return row?.id as number;
}

const signalRow = (id: number) =>
  env.DB.prepare(`SELECT ${SIGNALS_READ_COLUMNS} FROM signals WHERE id = ?`).bind(id).first<Record<string, unknown>>();

/** Pending BUY orders of a mint in D1: what the WalletActor counts as in-flight exposure / already bought. */
const pendingBuys = async (tokenMint: string) =>
  (
    await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM orders WHERE token_mint = ? AND side = 'buy' AND status IN ('pending', 'executing', 'submitted')",
    )
      .bind(tokenMint)
      .first<{ n: number }>()
  )?.n;

/** Makes the queue's PositionActor calls fail: `open` (or another method) throws on its first call(s). */
async function failQueueCall(method: string, times = 1) {
  const f = faultyNamespace(env.POSITION_ACTOR, { method, times });
  await patchEnv(queue(), { POSITION_ACTOR: f.binding });
  return f;
}

describe("owed after a fill (item 5): a filled order never goes back to pending", () => {
  it("an entry whose position open fails once stays filled and is opened on retry, never bought twice", async () => {
    const m = mint("OWOPEN");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    const fault = await failQueueCall("open");
    await stepQueue();
    expect(fault.thrown()).toBe(1);
    // The fill is the outcome: it is in D1 as filled, never rewritten to pending for a second execution.
    const order = await orderRow(res.order_id);
    expect(order).toMatchObject({ status: "filled", executed_out_amount: String(Math.floor((50 / 1.01) * 1e6)) });
    expect(order?.executed_price_usd).toBeCloseTo(1.01, 12);
    const executedAt = order?.executed_at;

    // The market moves before the retry: a second execution would show up as a fill at the new price.
    await fake.prices({ [m]: 2 });
    await stepQueue();
    await stepQueue(); // a duplicate run changes nothing
    const pid = positionIdFor(res.order_id);
    const pos = await waitFor(() => positionRow(pid));
    expect(pos).toMatchObject({ status: "open", entry_amount: order?.executed_out_amount, entry_cost_usd: 50 });
    expect(pos?.entry_price_usd).toBeCloseTo(1.01, 12);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", executed_at: executedAt });
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?")
      .bind(res.order_id)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
    expect((await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed")).toEqual([]);
  });

  it("a fill whose D1 write fails is still applied to the position, and the D1 row is written by the retry", async () => {
    const m = mint("OWD1");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    const db = faultyD1(env.DB, { match: /^update "orders"/i });
    await patchEnv(queue(), { DB: db.binding });
    await stepQueue();
    expect(db.thrown()).toBe(1);
    const pid = positionIdFor(res.order_id);
    // The position opened from the queue's own record of the fill, before D1 knew of it.
    expect(await positionRow(pid)).toMatchObject({ status: "open", entry_cost_usd: 50 });
    await stepQueue();
    expect(await waitFor(async () => ((await orderRow(res.order_id))?.status === "filled" ? true : null))).toBe(true);
    expect(await orderRow(res.order_id)).toMatchObject({ position_id: pid, executed_usd: 50 });
  });

  it("the owed open survives the queue being aborted between the fill and the open", async () => {
    const m = mint("OWABORT");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await failQueueCall("open");
    await stepQueue();
    await holdOwed(); // nothing retries on its own: the crash comes first
    // The position's D1 row is owed behind its open (issue 10), and waits for it.
    expect((await owedSteps()).filter((o) => o.order_id === res.order_id && o.state === "owed")).toMatchObject([
      { step: "open_position", attempts: 1 },
      { step: "d1_position" },
    ]);
    await abortAllDurableObjects(); // the fault wrapper dies with the instance; the owed step must not
    await fake.prices({ [m]: 3 });
    await stepQueue();
    const pos = await waitFor(() => positionRow(positionIdFor(res.order_id)));
    expect(pos?.entry_price_usd).toBeCloseTo(1.01, 12);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled" });
  });

  it("an exit whose applyFill fails once is applied on retry without selling again", async () => {
    const m = mint("OWSELL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await actor.requestExit({ percent: 50 });
    const fault = await failQueueCall("applyFill");
    await stepQueue();
    expect(fault.thrown()).toBe(1);
    const [sell] = await ordersOf(id);
    expect(sell).toMatchObject({ status: "filled", executed_in_amount: "500000000" });
    await stepQueue();
    await stepQueue();
    const row = await waitFor(async () =>
      (await positionRow(id))?.current_amount === "500000000" ? positionRow(id) : null,
    );
    expect(row).toMatchObject({ status: "open", sold_amount: "500000000" });
    expect(await ordersOf(id)).toHaveLength(1);
  });
});

describe("the breaker check owed after a closing fill (item 5)", () => {
  it("a losing close whose breaker check fails once is checked again by the retried fill and trips the breaker", async () => {
    const m = mint("OWBRK");
    await fake.tokens({ mint: m, price_usd: 0.5, decimals: 6 });
    const { id, actor } = await openPosition(m, { entry_price_usd: 1, entry_amount: "1000000000" }); // $1000
    await actor.requestExit({ percent: 100 });
    // The position's first read of the breaker state fails (after its fill was applied and synced).
    const db = faultyD1(env.DB, { match: /from "circuit_breaker_events"/i });
    await patchEnv(actor, { DB: db.binding });
    await stepQueue();
    expect(db.thrown()).toBe(1);
    expect(await positionRow(id)).toMatchObject({ status: "closed", exit_reason: "manual" });
    await stepQueue();
    const ev = await waitFor(() =>
      env.DB.prepare("SELECT * FROM circuit_breaker_events ORDER BY id DESC LIMIT 1")
        .first<Record<string, unknown>>()
        .then((e) => (e?.event_type === "trip" ? e : null)),
    );
    expect(ev).toMatchObject({ trigger: "max_drawdown" });
    const [sell] = await ordersOf(id);
    expect(sell).toMatchObject({ status: "filled", executed_in_amount: "1000000000" });
    expect(await ordersOf(id)).toHaveLength(1);
    await resetBreaker();
  });
});

describe("an order's D1 status never moves backwards", () => {
  it("a late cancel, dead letter or progress note never overwrites a fill; a fill lands over pending", async () => {
    const m = mint("OWGUARD");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    const db = getDb(env.DB);
    await settleOrder(db, res.order_id, { last_error: "price unavailable" });
    expect(await orderRow(res.order_id)).toMatchObject({ status: "pending", last_error: "price unavailable" });
    await settleOrder(db, res.order_id, { status: "filled", executed_usd: 50, last_error: null });
    await settleOrder(db, res.order_id, { status: "cancelled", cancel_reason: "circuit_breaker" });
    await settleOrder(db, res.order_id, { status: "dead", last_error: "late" });
    await settleOrder(db, res.order_id, { last_error: "late note" });
    await settleOrder(db, res.order_id, { status: "filled", executed_usd: 99 });
    expect(await orderRow(res.order_id)).toMatchObject({
      status: "filled",
      executed_usd: 50,
      cancel_reason: null,
      last_error: null,
    });
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec("UPDATE queue SET state = 'cancelled' WHERE order_id = ?", res.order_id);
    });
  });
});

describe("fill state before the breaker (item 6)", () => {
  it("a filled entry whose open is retried after the breaker tripped still becomes a position", async () => {
    const m = mint("OWCB");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await failQueueCall("open");
    await stepQueue();
    await tripBreaker();
    await stepQueue();
    const pos = await waitFor(() => positionRow(positionIdFor(res.order_id)));
    expect(pos).toMatchObject({ status: "open", entry_cost_usd: 50 });
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", cancel_reason: null });
    await resetBreaker();
  });

  it("the breaker still cancels an entry not yet executed", async () => {
    const m = mint("OWCB3");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await tripBreaker();
    await stepQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "circuit_breaker" });
    expect(await positionRow(positionIdFor(res.order_id))).toBeNull();
    await resetBreaker();
  });
});

describe("owed after a dead letter or a cancel (item 3)", () => {
  it("a dead-lettered stop whose release fails once reopens the position, and the stop is decided again and fills", async () => {
    await setConfig({ max_swap_retries: 0 });
    const m = mint("OWREL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 0.6 });
    await runDurableObjectAlarm(actor); // decides the stop-loss and queues it
    expect(await positionRow(id)).toMatchObject({ status: "closing" });
    // The sell fails (and is dead-lettered at once with no retries), then its release fails once.
    const sellable = faultyNamespace(env.POSITION_ACTOR, { method: "sellable" });
    const release = faultyNamespace(sellable.binding, { method: "releaseOrder" });
    await patchEnv(queue(), { POSITION_ACTOR: release.binding });
    await stepQueue();
    expect(sellable.thrown()).toBe(1);
    expect(release.thrown()).toBe(1);
    const [dead] = await ordersOf(id);
    expect(dead).toMatchObject({ status: "dead", idempotency_key: `${id}:stop_loss` });

    await stepQueue(); // the owed release is retried
    const reopened = await waitFor(async () => ((await positionRow(id))?.status === "open" ? positionRow(id) : null));
    expect(reopened.current_amount).toBe("1000000000");
    // Back to open, the stop is evaluated again (new key generation) and its sell runs.
    await runDurableObjectAlarm(actor);
    const retry = await waitFor(async () =>
      (await ordersOf(id)).find((o) => o.idempotency_key === `${id}:stop_loss:r1`),
    );
    expect(retry).toMatchObject({ reason: "stop_loss", priority: "urgent" });
    // It may have run already with the release's step (the position's alarm is due at once); else it runs now.
    for (let i = 0; i < 4 && (await orderRow(String(retry.id)))?.status === "pending"; i++) await stepQueue();
    const closed = await waitFor(async () => ((await positionRow(id))?.status === "closed" ? positionRow(id) : null));
    expect(closed).toMatchObject({ exit_reason: "stop_loss", current_amount: "0" });
  });

  it("a cancelled entry whose D1 write fails once is still cancelled in D1, with its signal marked", async () => {
    const m = mint("OWCAN");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const signalId = await signalFor(m);
    const res = await queue().enqueue(buyRequest(m, { signal_id: signalId }));
    await tripBreaker();
    const db = faultyD1(env.DB, { match: /^update "orders"/i });
    await patchEnv(queue(), { DB: db.binding });
    await stepQueue();
    expect(db.thrown()).toBe(1);
    await stepQueue();
    const row = await waitFor(async () =>
      (await orderRow(res.order_id))?.status === "cancelled" ? orderRow(res.order_id) : null,
    );
    expect(row.cancel_reason).toBe("circuit_breaker");
    expect(await pendingBuys(m)).toBe(0);
    expect(await signalRow(signalId)).toMatchObject({ filtered: 1, filter_reason: "circuit_breaker" });
    await resetBreaker();
  });

  it("a dead BUY whose D1 write fails once is still marked dead, never left pending as exposure", async () => {
    const m = mint("OWDEAD");
    const signalId = await signalFor(m);
    // A live entry without WALLET_PRIVATE_KEY (the test bindings have none) is dead-lettered at once.
    await fake.tokens({ mint: "So11111111111111111111111111111111111111112", price_usd: 150, decimals: 9 });
    const res = await queue().enqueue(buyRequest(m, { mode: "live", signal_id: signalId }));
    const db = faultyD1(env.DB, { match: /^update "orders"/i });
    await patchEnv(queue(), { DB: db.binding });
    await stepQueue();
    expect(db.thrown()).toBe(1);
    await stepQueue();
    await runDurableObjectAlarm(queue()); // an alarm delivered twice changes nothing more
    const row = await waitFor(async () =>
      (await orderRow(res.order_id))?.status === "dead" ? orderRow(res.order_id) : null,
    );
    expect(String(row.last_error)).toMatch(/WALLET_PRIVATE_KEY is not configured/);
    expect(await pendingBuys(m)).toBe(0);
    expect(await signalRow(signalId)).toMatchObject({
      filtered: 1,
      filter_reason: "entry_failed",
      order_id: res.order_id,
    });
    const st = await api("GET", "/api/v1/swap-queue");
    expect(st.body.dead_letters.map((d: { order_id: string }) => d.order_id)).toContain(res.order_id);
    expect(st.body.owed.filter((o: { order_id: string }) => o.order_id === res.order_id)).toEqual([]);
  });

  it("a failing owed step is visible on the queue's API until it is done", async () => {
    const m = mint("OWVIS");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await failQueueCall("open", 1);
    await stepQueue();
    // Its retry may already have run after the backoff on a fast machine; if not, it is listed as owed.
    const owed = (await api("GET", "/api/v1/swap-queue")).body.owed as { order_id: string; step: string }[];
    const mine = owed.filter((o) => o.order_id === res.order_id);
    if (mine.length > 0) expect(mine).toMatchObject([{ step: "open_position", attempts: 1 }, { step: "d1_position" }]);
    await stepQueue();
    await waitFor(() => positionRow(positionIdFor(res.order_id)));
    const after = (await api("GET", "/api/v1/swap-queue")).body.owed as { order_id: string }[];
    expect(after.filter((o) => o.order_id === res.order_id)).toEqual([]);
  });
});

describe("the hourly watchdog heals what the queue no longer holds (item 3)", () => {
  async function runHourly() {
    const { createExecutionContext, createScheduledController, waitOnExecutionContext } = await import(
      "cloudflare:test"
    );
    const worker = (await import("../src/index")).default;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const run = await env.DB.prepare(
      "SELECT status, detail FROM job_runs WHERE job = 'hourly_refresh' ORDER BY id DESC LIMIT 1",
    ).first<{ status: string; detail: string }>();
    return { status: run?.status, detail: JSON.parse(run?.detail ?? "{}") };
  }

  it("a closing position whose exit order died without its release goes back to open", async () => {
    await setConfig({ max_swap_retries: 0 });
    const m = mint("WDCLOSE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const { id, actor } = await openPosition(m);
    await fake.prices({ [m]: 0.6 });
    await runDurableObjectAlarm(actor);
    const sellable = faultyNamespace(env.POSITION_ACTOR, { method: "sellable" });
    const release = faultyNamespace(sellable.binding, { method: "releaseOrder", times: 1000 });
    const restore = await patchEnv(queue(), { POSITION_ACTOR: release.binding });
    await stepQueue();
    // An earlier build swallowed the failed release: nothing in the queue owes it any more.
    await runInDurableObject(queue(), (_i, state) => {
      if (state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'owed'").toArray().length > 0)
        state.storage.sql.exec("UPDATE owed SET state = 'done' WHERE step = 'release'");
    });
    await restore();
    expect(await positionRow(id)).toMatchObject({ status: "closing" });

    const run = await runHourly();
    expect(run.status).toBe("ok");
    expect(run.detail.positions_healed).toBeGreaterThanOrEqual(1);
    expect(await positionRow(id)).toMatchObject({ status: "open" });
    const ex = (await actor.summary())?.exits.find((e) => e.key === `${id}:stop_loss`);
    expect(ex?.state).toBe("dead");
  });

  it("a closing position whose queued exit the queue never held goes back to open and decides its stop again", async () => {
    const m = mint("WDUNK");
    await fake.tokens({ mint: m, price_usd: 0.6, decimals: 6 });
    const { id, actor } = await openPosition(m);
    // State left by a lost hand-off: a full exit marked queued under an order id the queue never had.
    await runInDurableObject(actor, (instance) => {
      const i = instance as unknown as { state: { status: string }; save: () => void; ctx: DurableObjectState };
      i.ctx.storage.sql.exec(
        `INSERT INTO exits (key, reason, amount, full, state, order_id, created_at)
         VALUES (?, 'stop_loss', '1000000000', 1, 'queued', 'ord_never_queued', ?)`,
        `${id}:stop_loss`,
        new Date().toISOString(),
      );
      i.state.status = "closing";
      i.save();
    });
    const run = await runHourly();
    expect(run.detail.positions_healed).toBeGreaterThanOrEqual(1);
    expect((await actor.summary())?.exits.find((e) => e.key === `${id}:stop_loss`)?.state).toBe("dead");
    // Reopened and re-evaluated at once: the stop (price 0.6) is decided again under a new key and queued.
    await runDurableObjectAlarm(actor);
    const retry = await waitFor(async () =>
      (await ordersOf(id)).find((o) => o.idempotency_key === `${id}:stop_loss:r1`),
    );
    expect(retry).toMatchObject({ reason: "stop_loss", side: "sell" });
    // The position healed by the test before also re-decided its stop: one run each, whichever goes first.
    for (let i = 0; i < 4 && (await orderRow(String(retry.id)))?.status === "pending"; i++) await stepQueue();
    await waitFor(async () => ((await positionRow(id))?.status === "closed" ? true : null));
  });

  it("a pending D1 order the queue never recorded is dead-lettered, so the mint is not blocked", async () => {
    const m = mint("WDORPH");
    const signalId = await signalFor(m);
    const id = `ord_orphan_${crypto.randomUUID()}`;
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await env.DB.prepare(
      `INSERT INTO orders (id, idempotency_key, signal_id, token_mint, side, priority, mode, status, reason, requested_usd, requested_at)
       VALUES (?, ?, ?, ?, 'buy', 'normal', 'simulation', 'pending', 'entry', 50, ?)`,
    )
      .bind(id, `entry:${signalId}`, signalId, m, old)
      .run();
    await env.DB.prepare("UPDATE signals SET order_id = ? WHERE id = ?").bind(id, signalId).run();
    // A younger one may still be on its way into the queue: left alone.
    const young = `ord_young_${crypto.randomUUID()}`;
    await env.DB.prepare(
      `INSERT INTO orders (id, idempotency_key, token_mint, side, priority, mode, status, reason, requested_usd, requested_at)
       VALUES (?, ?, ?, 'buy', 'normal', 'simulation', 'pending', 'entry', 50, ?)`,
    )
      .bind(young, `entry:young:${young}`, m, new Date().toISOString())
      .run();

    const run = await runHourly();
    expect(run.detail.orders_orphaned).toBeGreaterThanOrEqual(1);
    expect(await orderRow(id)).toMatchObject({ status: "dead" });
    expect(await orderRow(young)).toMatchObject({ status: "pending" });
    expect(await signalRow(signalId)).toMatchObject({ filtered: 1, filter_reason: "entry_failed" });
    const dead = (await api("GET", "/api/v1/swap-queue")).body.dead_letters.map(
      (d: { order_id: string }) => d.order_id,
    );
    expect(dead).toContain(id);
    await env.DB.prepare("DELETE FROM orders WHERE id = ?").bind(young).run();
  });

  it("a D1 order left pending after the queue cancelled it is settled again", async () => {
    const m = mint("WDREPLAY");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    await tripBreaker();
    await stepQueue();
    await resetBreaker();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled" });
    // An earlier build's failure path rewrote it to pending, an hour ago.
    await env.DB.prepare("UPDATE orders SET status = 'pending', cancel_reason = NULL, requested_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 3_600_000).toISOString(), res.order_id)
      .run();
    const run = await runHourly();
    expect(run.detail.orders_replayed).toBeGreaterThanOrEqual(1);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "circuit_breaker" });
    expect(await pendingBuys(m)).toBe(0);
  });
});
