import "../src/index"; // start-up: isSecureContext for @solana/kit signing
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { LiveOrderState } from "../src/domain/live-order";
import { positionIdFor } from "../src/domain/position";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { buyRequest, orderRow, positionRow, queue, resetBreaker, setConfig, waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyNamespace, patchEnv } from "./helpers/faults";
import { newSolanaSecretKey } from "./helpers/keys";
import { holdQueue, queueIdle, stepQueue } from "./helpers/queue-steps";
import { quiesceActors } from "./helpers/quiesce";

/**
 * Issue 11 end to end: live orders run by the real SwapQueue (its SQLite is the executor's port) and the real
 * PositionActor against the fake chain (real unsigned v0 transactions from the fake Jupiter, signatures
 * verified by the fake RPC). The queue is driven one execution at a time (`holdQueue` / `stepQueue`), never by
 * the clock; crashes are `abortAllDurableObjects` while a fake route holds the executor at the chosen point.
 */
const WSOL = "So11111111111111111111111111111111111111112";
const KEY = await newSolanaSecretKey(); // a canary too: checked against the log lines and D1 below
const SOL_PRICE = 150;

/** The trading key, and an upstream timeout long enough that a request held by the fake waits for the crash. */
async function withKey() {
  await patchEnv(queue(), { WALLET_PRIVATE_KEY: KEY.secret, UPSTREAM_TIMEOUT_MS: "30000" });
}

type LiveRow = { order_id: string; status: string; attempt: number; signature: string | null; state: string };
const liveRow = (orderId: string) =>
  runInDurableObject(
    queue(),
    (_i, state) =>
      state.storage.sql.exec<LiveRow>("SELECT * FROM live_orders WHERE order_id = ?", orderId).toArray()[0] ?? null,
  );
const liveState = async (orderId: string) => {
  const r = await liveRow(orderId);
  return r ? (JSON.parse(r.state) as LiveOrderState) : null;
};
const queueState = (orderId: string) =>
  runInDurableObject(
    queue(),
    (_i, state) =>
      state.storage.sql.exec<{ state: string }>("SELECT state FROM queue WHERE order_id = ?", orderId).toArray()[0]
        ?.state ?? null,
  );

/** Steps the queue until the order leaves `pending` (each step = one execution), at most `max` times. */
async function stepUntilDone(orderId: string, max = 8) {
  for (let i = 0; i < max; i++) {
    await stepQueue();
    if ((await queueState(orderId)) !== "pending") return;
  }
  const why = await runInDurableObject(queue(), (_i, state) => ({
    queue: state.storage.sql.exec("SELECT * FROM queue WHERE order_id = ?", orderId).toArray(),
    live: state.storage.sql.exec("SELECT status, attempt FROM live_orders WHERE order_id = ?", orderId).toArray(),
  }));
  throw new Error(`order ${orderId} still pending after ${max} steps: ${JSON.stringify(why)}`);
}

let token = "";
const logLines: string[] = [];
beforeAll(() => {
  for (const m of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
});

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  token = randomAddress();
  await fake.tokens({ mint: token, price_usd: 0.001, decimals: 6, symbol: "LIVE" });
  await fake.tokens({ mint: WSOL, price_usd: SOL_PRICE, decimals: 9, symbol: "SOL" });
  await fake.wallet({ address: KEY.address, lamports: 2_000_000_000, token_accounts: [] });
  await setConfig({
    live_trading_enabled: true,
    jupiter_swaps_per_second: 150,
    jupiter_swap_burst: 100,
    max_swap_retries: 3,
    slippage_bps: 300,
    max_slippage_bps: 1000,
    max_position_usd: 200,
    sol_fee_reserve: 0.05,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
  });
  await holdQueue();
  await withKey();
});

afterAll(async () => {
  await setConfig({ live_trading_enabled: false, swap_min_spacing_ms: 0 });
  await quiesceActors();
  const dump = JSON.stringify(
    [
      await env.DB.prepare("SELECT * FROM orders").all(),
      await env.DB.prepare("SELECT * FROM positions").all(),
      await env.DB.prepare("SELECT * FROM alerts").all(),
    ].map((r) => r.results),
  );
  for (const canary of [KEY.secret, KEY.seed]) {
    for (const l of logLines) expect(l.includes(canary), `log line leaks the key: ${l.slice(0, 80)}`).toBe(false);
    expect(dump.includes(canary)).toBe(false);
  }
  vi.restoreAllMocks();
});

const liveBuy = () => buyRequest(token, { mode: "live", requested_usd: 15 }); // 0.1 SOL at $150

describe("live through the SwapQueue and the PositionActor: a BUY and its exit land once each", () => {
  it("BUY: the order row walks pending → quoted → signed → submitted → executed; the position opens with the confirmed fill", async () => {
    await fake.swapScript({ land: [{ outcome: "land", fill_factor: 0.97 }] });
    const res = await queue().enqueue(liveBuy());
    expect((await orderRow(res.order_id))?.status).toBe("pending"); // the D1 intent, before any upstream call
    await stepUntilDone(res.order_id);

    const s = (await liveState(res.order_id)) as LiveOrderState;
    expect(s.status).toBe("executed");
    for (const [a, b] of [
      ["pending", "quoted"],
      ["quoted", "signed"],
      ["signed", "submitted"],
      ["submitted", "executed"],
    ] as const)
      expect(s.timings[a] as number).toBeLessThanOrEqual(s.timings[b] as number);
    expect(s.sized_amount).toBe("100000000");

    const chain = await fake.chain();
    expect(Object.keys(chain.landed)).toEqual([s.signature]);
    expect(chain.landed[s.signature as string]?.fee_payer).toBe(KEY.address); // the fake verified the signature
    const landed = Object.values((await fake.swaps()).landed)[0];
    const received = (BigInt(landed?.post_token as string) - BigInt(landed?.pre_token as string)).toString();
    expect(s.fill?.token_amount).toBe(received);
    expect(received).not.toBe(s.quoted_out_amount); // the fill is the chain's, not the quote's

    const order = await waitFor(async () => {
      const o = await orderRow(res.order_id);
      return o?.status === "filled" ? o : null;
    });
    const spentLamports = 100_000_000 + (landed?.fee as number);
    expect(order).toMatchObject({
      mode: "live",
      tx_signature: s.signature,
      executed_out_amount: received,
      executed_in_amount: String(spentLamports),
      requested_amount: "100000000",
      position_id: positionIdFor(res.order_id),
    });
    expect(order.executed_usd as number).toBeCloseTo((spentLamports / 1e9) * SOL_PRICE, 9);
    expect(order.landed_slot).toBe(landed?.slot);
    expect(order.execution_duration_ms).not.toBeNull();
    const pos = await waitFor(() => positionRow(positionIdFor(res.order_id)));
    expect(pos).toMatchObject({ status: "open", mode: "live", entry_amount: received, current_amount: received });
  });

  it("exit: a manual full exit of the live position sells what the wallet holds and closes the position", async () => {
    const res = await queue().enqueue(liveBuy());
    await stepUntilDone(res.order_id);
    const pid = positionIdFor(res.order_id);
    const pos = await waitFor(() => positionRow(pid));
    const held = String(pos.entry_amount);

    const exit = await env.POSITION_ACTOR.getByName(pid).requestExit({ percent: 100 });
    if (!exit.ok) throw new Error(exit.detail);
    const exitId = exit.order_id as string;
    expect(exitId).toBeTruthy();
    await stepUntilDone(exitId);

    const s = (await liveState(exitId)) as LiveOrderState;
    expect(s.status).toBe("executed");
    expect(s.sized_amount).toBe(held);
    const swaps = Object.values((await fake.swaps()).landed);
    expect(swaps).toHaveLength(2);
    const sell = swaps.find((l) => l.terms.input_mint === token);
    expect(sell?.terms.in_amount).toBe(held);
    const receivedLamports = BigInt(sell?.post_lamports as number) - BigInt(sell?.pre_lamports as number);
    expect(s.fill?.sol_lamports).toBe(receivedLamports.toString());

    const order = await waitFor(async () => {
      const o = await orderRow(exitId);
      return o?.status === "filled" ? o : null;
    });
    expect(order).toMatchObject({ side: "sell", tx_signature: s.signature, executed_in_amount: held });
    expect(order.executed_usd as number).toBeCloseTo((Number(receivedLamports) / 1e9) * SOL_PRICE, 9);
    const closed = await waitFor(async () => {
      const p = await positionRow(pid);
      return p?.status === "closed" ? p : null;
    });
    expect(closed.current_amount).toBe("0");
    expect(closed.exit_proceeds_usd as number).toBeCloseTo((Number(receivedLamports) / 1e9) * SOL_PRICE, 9);
  });
});

describe("live through the SwapQueue: an order in flight does not hold the others", () => {
  it("two live entries due together are both sent in one run before the first is confirmed; each lands once", async () => {
    await fake.swapScript({
      land: [
        { outcome: "land", pending_polls: 3 },
        { outcome: "land", pending_polls: 3 },
      ],
    });
    const first = await queue().enqueue(liveBuy());
    const second = await queue().enqueue(liveBuy());
    await setConfig({ swap_min_spacing_ms: 0 });
    await runInDurableObject(queue(), async (_i, state) => {
      state.storage.sql.exec("UPDATE queue SET not_before_ms = 0 WHERE state = 'pending'");
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runDurableObjectAlarm(queue());
    await queueIdle();
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(2); // both signed transactions sent
    expect((await liveRow(first.order_id))?.status).toBe("submitted"); // left to the next runs
    await stepUntilDone(first.order_id);
    await stepUntilDone(second.order_id);
    for (const id of [first.order_id, second.order_id]) expect((await liveState(id))?.status).toBe("executed");
    expect((await fake.swaps()).built).toBe(2);
  });
});

describe("live through the SwapQueue: a crash at each of five points ends with exactly one transaction", () => {
  /**
   * Makes the queue's orders due and lets the alarm scheduler run it (not a test request: a request cut short
   * by the abort would leave the test runner waiting on it); the run stops on the held route.
   */
  async function runHeldAt(route: string) {
    await fake.hold(route);
    await runInDurableObject(queue(), async (_i, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
      state.storage.sql.exec("UPDATE queue SET not_before_ms = 0 WHERE state = 'pending'");
      await state.storage.setAlarm(Date.now());
    });
    await waitFor(async () => (await fake.held(route)) > 0);
  }

  async function crash(route?: string) {
    await abortAllDurableObjects();
    if (route) await fake.release(route);
    await withKey(); // a new instance: the test's key patch is gone with the old one // a new instance: the test's key patch is gone with the old one
  }

  async function expectOneTransaction(orderId: string) {
    await stepUntilDone(orderId);
    const s = (await liveState(orderId)) as LiveOrderState;
    expect(s.status).toBe("executed");
    const chain = await fake.chain();
    expect(Object.keys(chain.landed)).toEqual([s.signature]); // one signature ever sent
    expect((await fake.swaps()).built).toBe(1); // signed once
    const order = await waitFor(async () => {
      const o = await orderRow(orderId);
      return o?.status === "filled" ? o : null;
    });
    expect(order.tx_signature).toBe(s.signature);
    const pos = await waitFor(() => positionRow(positionIdFor(orderId)));
    expect(pos).toMatchObject({ status: "open", entry_amount: s.fill?.token_amount });
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE entry_order_id = ?")
      .bind(orderId)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
  }

  it("before the intent is stored (queued, nothing started): the caller's retry finds the same order", async () => {
    const req = liveBuy();
    const res = await queue().enqueue(req);
    await crash();
    expect(await liveRow(res.order_id)).toBeNull();
    const again = await queue().enqueue(req);
    expect(again).toMatchObject({ order_id: res.order_id, duplicate: true });
    await expectOneTransaction(res.order_id);
  });

  it("after the intent is stored (pending, sized; the quote in flight)", async () => {
    const res = await queue().enqueue(liveBuy());
    await runHeldAt("jupiter.quote");
    await crash("jupiter.quote");
    expect((await liveRow(res.order_id))?.status).toBe("pending");
    await expectOneTransaction(res.order_id);
  });

  it("after signing (the signature stored; the first send in flight and landing after the crash)", async () => {
    const res = await queue().enqueue(liveBuy());
    await runHeldAt("rpc.sendTransaction");
    const signedRow = await liveRow(res.order_id);
    expect(signedRow?.status).toBe("signed");
    expect(signedRow?.signature).toBeTruthy();
    await crash("rpc.sendTransaction");
    await expectOneTransaction(res.order_id);
    expect((await liveState(res.order_id))?.signature).toBe(signedRow?.signature);
  });

  it("after the send (the status poll in flight)", async () => {
    const res = await queue().enqueue(liveBuy());
    await runHeldAt("rpc.getSignatureStatuses");
    expect((await liveRow(res.order_id))?.status).toBe("submitted");
    await crash("rpc.getSignatureStatuses");
    // The owed write-behind shows the D1 row submitted with its signature while it is being reconciled.
    await runInDurableObject(queue(), (i) => (i as unknown as { owed: { run(): Promise<void> } }).owed.run());
    expect(await orderRow(res.order_id)).toMatchObject({
      status: "submitted",
      tx_signature: (await liveRow(res.order_id))?.signature,
    });
    await expectOneTransaction(res.order_id);
  });

  it("after confirmation (the confirmed transaction being read)", async () => {
    const res = await queue().enqueue(liveBuy());
    await runHeldAt("rpc.getTransaction");
    await crash("rpc.getTransaction");
    expect((await liveRow(res.order_id))?.status).toBe("submitted");
    await expectOneTransaction(res.order_id);
  });

  it("an alarm delivered again while the first run waits on the send executes nothing twice", async () => {
    const res = await queue().enqueue(liveBuy());
    await runHeldAt("rpc.sendTransaction");
    // The duplicate delivery (the handler itself: the scheduler's alarm is the one in progress) finds the run
    // in progress owning the queue and executes nothing.
    await runInDurableObject(queue(), (i) => (i as unknown as { alarm(): Promise<void> }).alarm());
    expect(await fake.held("rpc.sendTransaction")).toBe(1);
    await fake.release("rpc.sendTransaction");
    await queueIdle();
    await expectOneTransaction(res.order_id);
  });

  it("after the executed state is stored with its outcome, before the position opened", async () => {
    const res = await queue().enqueue(liveBuy());
    const actors = faultyNamespace(env.POSITION_ACTOR, { method: "open", times: 100 });
    await patchEnv(queue(), { POSITION_ACTOR: actors.binding });
    await stepQueue();
    expect(actors.thrown()).toBeGreaterThan(0);
    expect(await queueState(res.order_id)).toBe("done");
    expect((await liveRow(res.order_id))?.status).toBe("executed");
    await crash();
    await stepQueue(); // the owed open runs; nothing is executed again
    await queueIdle();
    const s = (await liveState(res.order_id)) as LiveOrderState;
    expect(Object.keys((await fake.chain()).landed)).toEqual([s.signature]);
    const pos = await waitFor(() => positionRow(positionIdFor(res.order_id)));
    expect(pos).toMatchObject({ status: "open", entry_amount: s.fill?.token_amount });
  });
});

describe("live through the SwapQueue: the failure policy", () => {
  /** The executor's own wait (a backoff, a stuck exit's retry) is over: as if its time had come. */
  const waitOver = (orderId: string) =>
    runInDurableObject(queue(), (_i, state) => {
      const r = state.storage.sql
        .exec<{ state: string }>("SELECT state FROM live_orders WHERE order_id = ?", orderId)
        .toArray()[0];
      if (!r) return;
      const s = JSON.parse(r.state) as LiveOrderState;
      state.storage.sql.exec(
        "UPDATE live_orders SET state = ? WHERE order_id = ?",
        JSON.stringify({ ...s, not_before: null }),
        orderId,
      );
    });
  const quotes = async () => (await fake.requests()).filter((r) => r.route === "jupiter.quote").length;
  const deadRow = (id: string) =>
    waitFor(async () => {
      const o = await orderRow(id);
      return o?.status === "dead" ? o : null;
    });

  it("a swap that landed failed on slippage is re-quoted at a higher slippage (within max_slippage_bps) and lands", async () => {
    await fake.swapScript({
      land: [{ outcome: "fail", err: { InstructionError: [2, { Custom: 6001 }] } }, { outcome: "land" }],
    });
    await setConfig({ max_slippage_bps: 400 });
    const res = await queue().enqueue(liveBuy());
    await stepUntilDone(res.order_id);
    const s = (await liveState(res.order_id)) as LiveOrderState;
    expect(s.status).toBe("executed");
    expect(s.attempts.map((a) => [a.slippage_bps, a.outcome])).toEqual([
      [300, "slippage"],
      [400, "executed"],
    ]);
    const landed = Object.values((await fake.chain()).landed);
    expect(landed.map((t) => t.outcome).sort()).toEqual(["failed", "landed"]);
    expect((await orderRow(res.order_id))?.tx_signature).toBe(s.signature);
    await waitFor(() => positionRow(positionIdFor(res.order_id)));
  });

  it("terminal errors are not retried: an entry with no route and one the wallet cannot pay are dead letters at once", async () => {
    await fake.prices({ [token]: null }); // Jupiter has no route for it
    const noRoute = await queue().enqueue(liveBuy());
    await stepQueue();
    const row = await deadRow(noRoute.order_id);
    expect(String(row.last_error)).toMatch(/^COULD_NOT_FIND_ANY_ROUTE/);
    expect(await quotes()).toBe(1);
    await stepQueue(); // nothing runs again
    expect(await quotes()).toBe(1);
    const listed = await api("GET", "/api/v1/orders/dead-letters");
    expect(listed.body.items.map((d: { order_id: string }) => d.order_id)).toContain(noRoute.order_id);
    // A dead entry is not retried (its leader's trade is too old to copy at its price): it is discarded.
    expect((await api("POST", `/api/v1/orders/${noRoute.order_id}/retry`)).status).toBe(409);
    expect((await api("POST", `/api/v1/orders/${noRoute.order_id}/discard`)).body).toEqual({
      order_id: noRoute.order_id,
      discarded: true,
    });
    const after = await api("GET", "/api/v1/orders/dead-letters");
    expect(after.body.items.map((d: { order_id: string }) => d.order_id)).not.toContain(noRoute.order_id);
    expect((await orderRow(noRoute.order_id))?.status).toBe("dead"); // the order itself stays dead
    const audited = await env.DB.prepare("SELECT action FROM audit_log WHERE subject = ?")
      .bind(`/api/v1/orders/${noRoute.order_id}/discard`)
      .first<{ action: string }>();
    expect(audited?.action).toBe("POST /api/v1/orders/:order_id/discard");

    await fake.prices({ [token]: 0.001 });
    await fake.wallet({ address: KEY.address, lamports: 40_000_000 }); // 0.04 SOL, below the 0.05 reserve
    // The trading wallet is also a portfolio wallet whose cached balance is stale.
    await env.DB.prepare(
      "INSERT OR REPLACE INTO wallet_info (address, last_balance_sol, last_balance_lamports) VALUES (?, 2, '2000000000')",
    )
      .bind(KEY.address)
      .run();
    const poor = await queue().enqueue(liveBuy());
    await stepQueue();
    expect(String((await deadRow(poor.order_id)).last_error)).toMatch(/^INSUFFICIENT_FUNDS: .*fee reserve/);
    // ...and its balance is refreshed from the chain.
    expect(
      await env.DB.prepare("SELECT last_balance_lamports, last_balance_sol FROM wallet_info WHERE address = ?")
        .bind(KEY.address)
        .first(),
    ).toEqual({ last_balance_lamports: "40000000", last_balance_sol: 0.04 });
    await env.DB.prepare("DELETE FROM wallet_info WHERE address = ?").bind(KEY.address).run();
    expect(await quotes()).toBe(1); // refused before any Jupiter call
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0);
  });

  it("an exit with no route is stuck: it raises a stuck_exit alert, stays queued with backoff, and lands when the route is back", async () => {
    const res = await queue().enqueue(liveBuy());
    await stepUntilDone(res.order_id);
    const pid = positionIdFor(res.order_id);
    await waitFor(() => positionRow(pid));
    await fake.prices({ [token]: null });
    const exit = await env.POSITION_ACTOR.getByName(pid).requestExit({ percent: 100 });
    if (!exit.ok) throw new Error(exit.detail);
    const exitId = exit.order_id as string;
    await stepQueue();
    expect(await queueState(exitId)).toBe("pending");
    const s = (await liveState(exitId)) as LiveOrderState;
    expect(s.stuck).toBe(true);
    expect((s.not_before as number) - s.updated_at).toBe(30_000);
    const alert = await waitFor(() =>
      env.DB.prepare("SELECT * FROM alerts WHERE kind = 'stuck_exit' AND subject = ?").bind(pid).first(),
    );
    expect(alert).toMatchObject({ status: "open", severity: "critical" });
    // The position shows its stuck exit (since when, why).
    const detail = await api("GET", `/api/v1/positions/${pid}`);
    expect(detail.body.stuck_exit).toMatchObject({ order_id: exitId, code: "COULD_NOT_FIND_ANY_ROUTE" });
    // Retried with backoff, still stuck: still pending, backoff doubled, one alert.
    await waitOver(exitId);
    await stepQueue();
    const again = (await liveState(exitId)) as LiveOrderState;
    expect(again.stuck_retries).toBe(2);
    expect((again.not_before as number) - again.updated_at).toBe(60_000);
    expect(await queueState(exitId)).toBe("pending");
    // The route is back: it lands and the position closes.
    await fake.prices({ [token]: 0.001 });
    await waitOver(exitId);
    await stepUntilDone(exitId);
    expect((await liveState(exitId))?.status).toBe("executed");
    await waitFor(async () => ((await positionRow(pid))?.status === "closed" ? true : null));
    expect((await api("GET", `/api/v1/positions/${pid}`)).body.stuck_exit).toBeNull();
  });

  it("without a SOL price a live entry waits, and is cancelled once its signal is stale (nothing started)", async () => {
    const restore = await patchEnv(queue(), { PRICE_FEED: { getByName: () => ({ getPrices: async () => ({}) }) } });
    const res = await queue().enqueue(liveBuy());
    await stepQueue();
    expect(await queueState(res.order_id)).toBe("pending");
    expect(await liveRow(res.order_id)).toBeNull();
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE queue SET created_at_ms = ? WHERE order_id = ?",
        Date.now() - 3_600_000,
        res.order_id,
      );
    });
    await stepQueue();
    expect(await queueState(res.order_id)).toBe("cancelled");
    const row = await waitFor(async () => {
      const o = await orderRow(res.order_id);
      return o?.status === "cancelled" ? o : null;
    });
    expect(row.cancel_reason).toBe("price_unavailable");
    expect(await quotes()).toBe(0);
    await restore();
  });

  it("a leader sale while the live entry reads the SOL price cancels it before anything is started", async () => {
    const req = { ...liveBuy(), leader_block_time: Math.floor(Date.now() / 1000) - 5 };
    const res = await queue().enqueue(req);
    const realFeed = env.PRICE_FEED;
    let sale: unknown = null;
    const restore = await patchEnv(queue(), {
      PRICE_FEED: {
        getByName: (n: string) => ({
          getPrices: async (mints: string[]) => {
            // The leader's SELL arrives while this read is awaited (the queue serves it meanwhile).
            sale ??= await queue().leaderSold({
              leader_address: req.entry?.source_wallet_address as string,
              token_mint: token,
              slot: null,
              block_time: Math.floor(Date.now() / 1000),
              signal_id: null,
            });
            return realFeed.getByName(n).getPrices(mints);
          },
        }),
      },
    });
    await stepQueue();
    await restore();
    expect(sale).toMatchObject({ in_flight: [{ order_id: res.order_id }] }); // executing: reported in flight
    expect(await queueState(res.order_id)).toBe("cancelled");
    expect(await liveRow(res.order_id)).toBeNull();
    expect(await quotes()).toBe(0);
  });

  it("HTTP 429 on the quote defers the live entry (not failed); no live order quotes before the reset; a simulated entry fills meanwhile", async () => {
    await fake.fail("jupiter.quote", { status: 429, times: 1 });
    const live = await queue().enqueue(liveBuy());
    const second = await queue().enqueue(liveBuy());
    const sim = await queue().enqueue(buyRequest(token, { requested_usd: 10 }));
    await stepQueue(); // the live entry (queued first) meets the 429
    expect(await queueState(live.order_id)).toBe("pending");
    expect((await liveState(live.order_id))?.failure?.code).toBe("HTTP_429");
    // The next run, the reset not reached: the second live entry does not quote, the simulated one fills.
    await runInDurableObject(queue(), async (_i, state) => {
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
      state.storage.sql.exec("UPDATE queue SET not_before_ms = 0 WHERE order_id <> ?", live.order_id);
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runDurableObjectAlarm(queue());
    await queueIdle();
    expect(await queueState(sim.order_id)).toBe("done");
    expect(await quotes()).toBe(1);
    expect(await liveRow(second.order_id)).toBeNull();
    // The reset comes: both live entries run, the first one first.
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec("DELETE FROM meta WHERE key = 'swap_bucket'");
    });
    await waitOver(live.order_id);
    await stepUntilDone(live.order_id);
    expect((await liveState(live.order_id))?.status).toBe("executed");
    await stepUntilDone(second.order_id);
    expect((await liveState(second.order_id))?.status).toBe("executed");
  });

  it("a dead live exit (the wallet holds other than the records) is retried by the dead-letter route once the wallet is right", async () => {
    const res = await queue().enqueue(liveBuy());
    await stepUntilDone(res.order_id);
    const pid = positionIdFor(res.order_id);
    const pos = await waitFor(() => positionRow(pid));
    await fake.wallet({ address: KEY.address, token_accounts: [{ mint: token, amount: "1", decimals: 6 }] });
    const exit = await env.POSITION_ACTOR.getByName(pid).requestExit({ percent: 100 });
    if (!exit.ok) throw new Error(exit.detail);
    const exitId = exit.order_id as string;
    await stepQueue();
    expect(String((await deadRow(exitId)).last_error)).toMatch(/^HOLDING_MISMATCH/);
    expect(logLines.some((l) => l.includes("live_sell_refused"))).toBe(true);
    // the position is released (open again), the dead letter listed
    await waitFor(async () => ((await positionRow(pid))?.status === "open" ? true : null));
    const listed = await api("GET", "/api/v1/orders/dead-letters");
    expect(listed.body.items.map((d: { order_id: string }) => d.order_id)).toContain(exitId);

    await fake.wallet({
      address: KEY.address,
      token_accounts: [{ mint: token, amount: String(pos.entry_amount), decimals: 6 }],
    });
    const retried = await api("POST", `/api/v1/orders/${exitId}/retry`);
    expect(retried.status).toBe(200);
    const newId = retried.body.retried_as as string;
    expect(newId).toBeTruthy();
    await stepUntilDone(newId);
    expect((await liveState(newId))?.status).toBe("executed");
    await waitFor(async () => ((await positionRow(pid))?.status === "closed" ? true : null));
    expect(
      (await api("GET", "/api/v1/swap-queue")).body.dead_letters.map((d: { order_id: string }) => d.order_id),
    ).not.toContain(exitId);
  });
});
