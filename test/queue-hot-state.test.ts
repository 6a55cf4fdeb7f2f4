import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { positionIdFor } from "../src/domain/position";
import { runMinuteJobs } from "../src/jobs/minute";
import { pushQueueHotState } from "../src/pipeline/queue-hot-state";
import { api } from "./helpers/api";
import {
  buyRequest,
  mint,
  orderRow,
  positionRow,
  pushQueue,
  queue,
  resetBreaker,
  setConfig,
  waitFor,
} from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1, faultyNamespace, heldD1, heldNamespace, patchEnv, patchWriter } from "./helpers/faults";
import { holdQueue, owedSteps, stepQueue } from "./helpers/queue-steps";

/**
 * Issue 10: the SwapQueue and the PositionActors decide from hot state pushed by its writers (config, breaker,
 * strategy templates: src/pipeline/queue-hot-state.ts), never from a D1 read on the trade path; and an entry
 * queued before its signal row reaches D1 is linked to it once it does. Every queue run is driven explicitly.
 */
const d1Version = async () =>
  (await env.DB.prepare("SELECT version FROM hot_state WHERE id = 1").first<{ version: number }>())?.version ?? 0;
/** The reads a decision would make without its hot state. */
const HOT_READS = /from "(config|circuit_breaker_events|exit_strategies|hot_state)"/i;

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ simulated_slippage_bps: 100, max_open_positions: 1000, max_total_exposure_usd: 1e9 });
  await holdQueue();
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec("UPDATE queue SET state = 'cancelled', last_error = 'test reset' WHERE state = 'pending'");
  });
});
afterEach(async () => {
  await resetBreaker();
  await setConfig({ poll_urgent_seconds: 20, poll_active_seconds: 30, poll_stable_seconds: 60 });
});

/** A position opened through the queue (so its actor is warm: it holds the queue's config snapshot). */
async function openedPosition(tag: string) {
  const m = mint(tag);
  await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
  const res = await queue().enqueue(buyRequest(m));
  await stepQueue();
  const pid = positionIdFor(res.order_id);
  expect(await positionRow(pid)).toMatchObject({ status: "open" });
  return { m, pid, actor: env.POSITION_ACTOR.getByName(pid), order_id: res.order_id };
}

const pollInterval = (actor: DurableObjectStub) =>
  runInDurableObject(actor, (_i, state) => {
    const row = state.storage.sql.exec<{ json: string }>("SELECT json FROM position_state WHERE id = 1").one();
    return (JSON.parse(row.json) as { poll_interval_seconds: number }).poll_interval_seconds;
  });

describe("hot state of the SwapQueue and the PositionActors (issue 10)", () => {
  it("a breaker tripped through the API reaches the warm queue before its next decision, which reads no D1", async () => {
    await openedPosition("HSWARM"); // a warm queue
    const trip = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "hot-state test" });
    expect(trip.status).toBeLessThan(300);
    // The answer came after the push: the queue already holds D1's version.
    expect(await queue().hotStateVersion()).toBe(await d1Version());

    const db = faultyD1(env.DB, { match: HOT_READS, times: 1_000 });
    const restore = await patchEnv(queue(), { DB: db.binding });
    const m = mint("HSTRIP");
    const res = await queue().enqueue(buyRequest(m));
    await restore();
    expect(res).toMatchObject({ status: "cancelled", cancel_reason: "circuit_breaker" });
    expect(db.thrown()).toBe(0);
  });

  it("a cap changed through the API refuses the next entry of the warm queue without a D1 read", async () => {
    await openedPosition("HSCAPW");
    expect((await api("PATCH", "/api/v1/config", { max_total_exposure_usd: 60 })).status).toBe(200);
    const db = faultyD1(env.DB, { match: HOT_READS, times: 1_000 });
    const restore = await patchEnv(queue(), { DB: db.binding });
    const m = mint("HSCAP");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m)); // 50 more on top of the 50 open: over 60
    await stepQueue();
    await restore();
    expect(db.thrown()).toBe(0);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "max_exposure" });
    await setConfig({ max_total_exposure_usd: 1e9 });
  });

  it("a config change reaches a warm PositionActor before its next tick, which reads no config from D1", async () => {
    const { actor } = await openedPosition("HSPOS");
    const before = await actor.hotStateVersion();
    expect(before).not.toBeNull();
    const res = await api("PATCH", "/api/v1/config", {
      poll_urgent_seconds: 45,
      poll_active_seconds: 45,
      poll_stable_seconds: 45,
    });
    expect(res.status).toBe(200);
    const db = faultyD1(env.DB, { match: HOT_READS, times: 1_000 });
    const restore = await patchEnv(actor, { DB: db.binding });
    await runDurableObjectAlarm(actor);
    await restore();
    expect(db.thrown()).toBe(0);
    // The tick asked the queue with the version it held and got the newer one.
    expect(await actor.hotStateVersion()).toBe(await d1Version());
    expect(await pollInterval(actor)).toBe(45);
  });

  it("a failed push to the queue is owed: the minute cron re-pushes it until it is confirmed", async () => {
    await openedPosition("HSOWED");
    const held = await queue().hotStateVersion();
    // A write made outside the API bumps the version; its push fails once.
    await env.DB.prepare("UPDATE config SET max_swap_retries = 4 WHERE id = 1").run();
    const ns = faultyNamespace(env.SWAP_QUEUE, { method: "applyHotState" });
    const res = await pushQueueHotState({ DB: env.DB, SWAP_QUEUE: ns.binding });
    expect(res.failed).toEqual(["queue:default"]);
    expect(ns.thrown()).toBe(1);
    expect(await queue().hotStateVersion()).toBe(held);

    const minute = await runMinuteJobs(env, Date.now());
    expect(minute.detail?.hot_state).toMatchObject({ failed: 0 });
    expect(await queue().hotStateVersion()).toBe(await d1Version());
    await setConfig({ max_swap_retries: 3 });
  });

  it("an older snapshot never replaces a newer one in the queue", async () => {
    await pushQueue();
    const v = (await queue().hotStateVersion()) as number;
    const res = await runInDurableObject(queue(), (instance) =>
      (instance as unknown as { applyHotState: (s: unknown) => Promise<{ applied: boolean }> }).applyHotState({
        version: v - 1,
        data: {},
      }),
    );
    expect(res.applied).toBe(false);
    expect(await queue().hotStateVersion()).toBe(v);
  });
});

describe("enqueue and the simulated fill do not wait for D1 (issue 10)", () => {
  it("a simulated entry is enqueued, filled and opened while the queue's D1 writes are held", async () => {
    await openedPosition("HELDWARM");
    const m = mint("HELD");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const held = heldD1(env.DB, "batches");
    const restore = await patchEnv(queue(), { DB: held.binding });
    try {
      // Resolves although its D1 row cannot be written yet (before issue 10 it awaited that write).
      const res = await queue().enqueue(buyRequest(m));
      expect(res).toMatchObject({ status: "pending", duplicate: false });
      await waitFor(async () => held.waiting() === 1); // the intent's write, started in the background
      // The executions alone (not the run's final D1 flush): the fill and the open need no D1.
      await runInDurableObject(queue(), async (instance, state) => {
        state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
        await (instance as unknown as { runDue: () => Promise<void> }).runDue();
      });
      const pid = positionIdFor(res.order_id);
      // The open runs behind the fill, beside the next executions (issue 10): waited for, still without D1.
      await waitFor(async () => (await env.POSITION_ACTOR.getByName(pid).status()).position_status === "open");
      expect(await orderRow(res.order_id)).toBeNull();
      held.release();
      await restore();
      await stepQueue();
      expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", position_id: pid });
      expect(await positionRow(pid)).toMatchObject({ status: "open" });
    } finally {
      held.release();
      await restore();
    }
  });
});

describe("a fill's position opens behind it (issue 10)", () => {
  const queueState = (orderId: string) =>
    runInDurableObject(
      queue(),
      (_i, state) =>
        state.storage.sql.exec<{ state: string }>("SELECT state FROM queue WHERE order_id = ?", orderId).toArray()[0]
          ?.state,
    );

  it("the next order fills while the previous fill's open is still held", async () => {
    await openedPosition("PIPEWARM");
    const [a, b] = [mint("PIPEA"), mint("PIPEB")];
    await fake.tokens({ mint: a, price_usd: 1, decimals: 6 }, { mint: b, price_usd: 1, decimals: 6 });
    const ra = await queue().enqueue(buyRequest(a));
    const rb = await queue().enqueue(buyRequest(b));
    await setConfig({ swap_min_spacing_ms: 0 });
    const held = heldNamespace(env.POSITION_ACTOR, "open");
    const restore = await patchEnv(queue(), { POSITION_ACTOR: held.binding });
    try {
      // Started, not awaited: before the fix the run waited on the held open and never reached the second order.
      await runInDurableObject(queue(), (instance, state) => {
        state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
        void (instance as unknown as { runDue: () => Promise<void> }).runDue();
      });
      await waitFor(
        async () => (await queueState(ra.order_id)) === "done" && (await queueState(rb.order_id)) === "done",
      );
      expect(held.asked.length).toBeGreaterThanOrEqual(1);
      const [pa, pb] = [positionIdFor(ra.order_id), positionIdFor(rb.order_id)];
      expect((await env.POSITION_ACTOR.getByName(pa).status()).position_status).not.toBe("open");
      held.release();
      // Owed with the fill, the opens complete once let through, and the positions' D1 rows follow.
      for (const pid of [pa, pb]) {
        await waitFor(async () => (await env.POSITION_ACTOR.getByName(pid).status()).position_status === "open");
        await waitFor(() => positionRow(pid));
      }
    } finally {
      held.release();
      await restore();
    }
  });
});

describe("write-behind of the position row (issue 10)", () => {
  it("a position actor killed between its open and its D1 write still gets its row into D1", async () => {
    const m = mint("HSKILL");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m));
    const pid = positionIdFor(res.order_id);
    const pos = env.POSITION_ACTOR.getByName(pid);
    const db = faultyD1(env.DB, { match: /"positions"/i, times: 1_000 });
    await patchEnv(pos, { DB: db.binding });
    await patchWriter({ DB: db.binding }); // the row's writer (src/pipeline/shared-d1-write.ts)
    await stepQueue();
    expect(db.thrown()).toBeGreaterThan(0);
    expect(await pos.status()).toMatchObject({ position_id: pid, position_status: "open" });
    expect(await positionRow(pid)).toBeNull();
    expect((await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed")).toMatchObject([
      { step: "d1_position" },
    ]);

    await abortAllDurableObjects(); // the fault dies with the instance; the owed step must not
    await stepQueue();
    expect(await positionRow(pid)).toMatchObject({ status: "open", entry_order_id: res.order_id, entry_cost_usd: 50 });
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", position_id: pid });
    expect((await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed")).toEqual([]);
  });
});

describe("an entry queued before its signal row is in D1 (issue 10)", () => {
  const insertSignal = (signature: string, tokenMint: string) =>
    env.DB.prepare(
      `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, webhook_received_at, raw_payload)
       VALUES (?, ?, 'buy', ?, ?, '{}') RETURNING id`,
    )
      .bind(signature, "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij", tokenMint, new Date().toISOString())
      .first<{ id: number }>();
  let n = 0;
  const signature = () => `sigWB${Date.now()}x${++n}`.padEnd(88, "z");

  it("writes its order and position with the signature, and links both once the signal lands", async () => {
    const m = mint("SIGLATE");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const sig = signature();
    const res = await queue().enqueue(buyRequest(m, { signal_id: undefined, signal_signature: sig }));
    await stepQueue();
    const pid = positionIdFor(res.order_id);
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", signal_id: null, signal_signature: sig });
    expect(await positionRow(pid)).toMatchObject({ status: "open", signal_id: null, signal_signature: sig });

    const signal = await insertSignal(sig, m);
    expect(await orderRow(res.order_id)).toMatchObject({ signal_id: signal?.id });
    expect(await positionRow(pid)).toMatchObject({ signal_id: signal?.id });
    // A later write of the position (a tick) keeps the link.
    await runDurableObjectAlarm(env.POSITION_ACTOR.getByName(pid));
    expect(await positionRow(pid)).toMatchObject({ signal_id: signal?.id });
  });

  it("resolves the signal id at the write when the signal row is already there", async () => {
    const m = mint("SIGEARLY");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const sig = signature();
    const signal = await insertSignal(sig, m);
    const res = await queue().enqueue(buyRequest(m, { signal_id: undefined, signal_signature: sig }));
    await stepQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "filled", signal_id: signal?.id });
    expect(await positionRow(positionIdFor(res.order_id))).toMatchObject({ signal_id: signal?.id });
  });

  it("a refused entry's signal outcome waits for its signal row, then is written", async () => {
    const m = mint("SIGCANCEL");
    const sig = signature();
    // Queued, then refused at execution (the breaker tripped meanwhile): the queue owes the signal's outcome.
    // (A refusal at enqueue is answered to the WalletActor, which records it with its signal.)
    const res = await queue().enqueue(buyRequest(m, { signal_id: undefined, signal_signature: sig }));
    expect(res).toMatchObject({ status: "pending" });
    await api("POST", "/api/v1/circuit-breaker/activate", { reason: "signal outcome test" });
    await stepQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", signal_signature: sig });
    expect(
      (await owedSteps()).filter((s) => s.order_id === res.order_id && s.state === "owed").map((s) => s.step),
    ).toEqual(["signal_filtered"]);

    const signal = await insertSignal(sig, m);
    await stepQueue();
    const outcome = await waitFor(() =>
      env.DB.prepare("SELECT reason, order_id FROM signal_outcomes WHERE signal_id = ?")
        .bind(signal?.id)
        .first<{ reason: string; order_id: string }>(),
    );
    expect(outcome).toEqual({ reason: "circuit_breaker", order_id: res.order_id });
    expect(await orderRow(res.order_id)).toMatchObject({ signal_id: signal?.id });
  });
});
