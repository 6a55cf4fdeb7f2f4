import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { positionIdFor } from "../src/domain/position";
import { d1WriterOf } from "../src/pipeline/shared-d1-write";
import { resetWatchCache } from "../src/pipeline/watch-cache";
import { signalsData } from "../src/ui/data";
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
import { type FaultyD1, faultyD1, patchEnv, patchWriter } from "./helpers/faults";
import { addr, nativeBuy, tx } from "./helpers/helius";
import { holdQueue, stepQueue } from "./helpers/queue-steps";
import {
  deliver,
  insertWallet,
  outboxSignal,
  postInProcess,
  settle,
  signalBySignature,
  spyActor,
} from "./helpers/wallet-actor";

/**
 * Issue 16 "Signals are an append-only log", the queue side: what the SwapQueue and the PositionActor learn
 * about a signal after it was written (its entry refused, the order it led to, a mirror exit it caused) is
 * never an UPDATE of the signal row; the read model (API, dashboard) still shows the effective decision.
 */
beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({ simulated_slippage_bps: 100, max_open_positions: 1000, max_total_exposure_usd: 1e9 });
  await holdQueue();
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec("UPDATE queue SET state = 'cancelled', last_error = 'test reset' WHERE state = 'pending'");
  });
});

async function signalFor(tokenMint: string, type: "buy" | "sell") {
  const row = await env.DB.prepare(
    `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, webhook_received_at, raw_payload)
     VALUES (?, ?, ?, ?, ?, '{}') RETURNING id`,
  )
    .bind(`sig-${tokenMint}-${crypto.randomUUID()}`, LEADER, type, tokenMint, new Date().toISOString())
    .first<{ id: number }>();
  return row?.id as number;
}

/** Records every statement an actor sends to D1 (a pattern that never matches: nothing is made to fail). */
async function recordD1(stub: DurableObjectStub): Promise<FaultyD1> {
  const rec = faultyD1(env.DB, { match: /^\b$/ });
  await patchEnv(stub, { DB: rec.binding });
  return rec;
}

const updatesOfSignals = (recs: FaultyD1[]) =>
  recs.flatMap((r) => r.statements).filter((q) => /\bupdate\s+["`]?signals["`]?\s/i.test(q));

describe("signals are an append-only log on the queue side", () => {
  it("buy refused by the breaker → buy filled → mirror-exit sell: no code path updates a signal row", async () => {
    const m = mint("APPEND");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const queueD1 = await recordD1(queue());

    // A BUY the queue refuses at execution (the breaker tripped after it was queued).
    const refusedSignal = await signalFor(m, "buy");
    const refused = await queue().enqueue(buyRequest(m, { signal_id: refusedSignal }));
    await tripBreaker();
    await stepQueue();
    await resetBreaker();
    expect(await orderRow(refused.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "circuit_breaker" });

    // A BUY that fills and opens its position, then the leader's SELL mirrored by the position.
    const boughtSignal = await signalFor(m, "buy");
    const bought = await queue().enqueue(buyRequest(m, { signal_id: boughtSignal }));
    const pid = positionIdFor(bought.order_id);
    const pos = env.POSITION_ACTOR.getByName(pid);
    const positionD1 = await recordD1(pos);
    await stepQueue();
    expect(await positionRow(pid)).toMatchObject({ status: "open" });
    const sellSignal = await signalFor(m, "sell");
    const mirror = await pos.mirrorExit({
      signal_id: sellSignal,
      transaction_signature: `sell-${m}`,
      leader_address: LEADER,
      token_mint: m,
      fraction: 1,
    });
    expect(mirror).toMatchObject({ queued: true });
    await stepQueue();
    await runDurableObjectAlarm(pos);
    expect(await positionRow(pid)).toMatchObject({ status: "closed", exit_reason: "mirror_exit" });

    expect(queueD1.statements.length).toBeGreaterThan(0);
    expect(positionD1.statements.length).toBeGreaterThan(0);
    expect(updatesOfSignals([queueD1, positionD1])).toEqual([]);
    // The refusal is a row of its own…
    const outcome = await env.DB.prepare("SELECT * FROM signal_outcomes WHERE signal_id = ?")
      .bind(refusedSignal)
      .first<Record<string, unknown>>();
    expect(outcome).toMatchObject({ kind: "filtered", reason: "circuit_breaker", order_id: refused.order_id });
    const stored = await env.DB.prepare("SELECT filtered, filter_reason, order_id FROM signals WHERE id = ?")
      .bind(refusedSignal)
      .first();
    expect(stored).toEqual({ filtered: 0, filter_reason: null, order_id: null });

    // …and the read model shows the effective decision: API list, API detail, dashboard.
    const one = await api("GET", `/api/v1/signals/${refusedSignal}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ filtered: true, filter_reason: "circuit_breaker", order_id: refused.order_id });
    const list = await api("GET", "/api/v1/signals?filtered=true&filter_reason=circuit_breaker&page_size=200");
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: { id: number }) => s.id)).toContain(refusedSignal);
    expect(list.body.items.find((s: { id: number }) => s.id === refusedSignal)).toMatchObject({ filtered: true });
    const unfiltered = await api("GET", "/api/v1/signals?filtered=false&page_size=200");
    expect(unfiltered.body.items.map((s: { id: number }) => s.id)).not.toContain(refusedSignal);
    expect(unfiltered.body.items.map((s: { id: number }) => s.id)).toContain(boughtSignal);
    const dash = await signalsData(getDb(env.DB), { outcome: "filtered", reason: "circuit_breaker" });
    expect(dash.find((s) => s.id === refusedSignal)).toMatchObject({
      filtered: true,
      filter_reason: "circuit_breaker",
    });
  });

  it("a refusal replayed after the first one keeps the first reason (insert-only, first outcome stays)", async () => {
    const m = mint("APPEN2");
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const sig = await signalFor(m, "buy");
    const res = await queue().enqueue(buyRequest(m, { signal_id: sig }));
    await tripBreaker();
    await stepQueue();
    await resetBreaker();
    // The owed step replayed (as the watchdog does) with another reason: the first outcome stays.
    await runInDurableObject(queue(), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE owed SET state = 'owed', payload = ?, not_before_ms = 0 WHERE order_id = ? AND step = 'signal_filtered'",
        JSON.stringify({ signal_id: sig, reason: "stale" }),
        res.order_id,
      );
    });
    await stepQueue();
    const rows = await env.DB.prepare("SELECT reason FROM signal_outcomes WHERE signal_id = ?").bind(sig).all();
    expect(rows.results).toEqual([{ reason: "circuit_breaker" }]);
  });
});

// ------------------------------------------------------------------ the WalletActor side (issue 10, 16)

const sellOf = (wallet: string, tokenMint: string, raw: bigint, sol: number, timestamp: number) => {
  const pool = addr();
  return tx({
    feePayer: wallet,
    timestamp,
    tokens: [{ mint: tokenMint, amount: Number(raw) / 1e6, from: wallet, to: pool }],
    natives: [{ amount: Math.round(sol * 1e9), from: pool, to: wallet }],
    changes: [{ user: wallet, mint: tokenMint, raw: `-${raw}`, decimals: 6 }],
  });
};

const nowS = () => Math.floor(Date.now() / 1000);
const pendingOrderOf = (signature: string) =>
  runInDurableObject(queue(), (_i, state) => {
    const rows = state.storage.sql
      .exec<{ order_id: string; request: string }>("SELECT order_id, request FROM queue WHERE state = 'pending'")
      .toArray();
    return rows.find((r) => (JSON.parse(r.request) as { signal_signature?: string }).signal_signature === signature)
      ?.order_id;
  });

/** A watched leader whose actor has decided once (hot state and trade log loaded), and a safe token. */
async function warmLeader() {
  const wallet = addr();
  const m = addr();
  await insertWallet(wallet);
  await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const warm = addr();
  await fake.tokens({ mint: warm, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  resetWatchCache();
  expect(
    (await postInProcess([{ ...nativeBuy(wallet, warm, { sol: 1, tokens: 1000 }), timestamp: nowS() - 2 }])).status,
  ).toBe(200);
  await env.WALLET_ACTOR.getByName(wallet).drained();
  await stepQueue(); // the warm-up entry fills, out of the way of the next step
  // The queue's book has seen every close for longer than the mint cooldown (no D1 look-back for it).
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec("UPDATE meta SET value = '0' WHERE key = 'book_closes_since_ms'");
  });
  return { wallet, m, stub: env.WALLET_ACTOR.getByName(wallet) };
}

describe("signals are written once, behind the decision (the WalletActor side)", () => {
  it("a filtered BUY, a passed BUY and a mirrored SELL: no UPDATE of signals from any actor", async () => {
    const { wallet, m, stub } = await warmLeader();
    const walletD1 = await recordD1(stub);
    const queueD1 = await recordD1(queue());
    const writerD1 = await recordD1(d1WriterOf(env)); // the actors' behind-the-decision rows go through it

    const stale = { ...nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 }), timestamp: nowS() - 3600 };
    const buy = { ...nativeBuy(wallet, m, { sol: 1, tokens: 4000 }), timestamp: nowS() - 2 };
    expect((await postInProcess([stale, buy])).status).toBe(200);
    await stub.drained();
    const orderId = await waitFor(() => pendingOrderOf(buy.signature));
    const pos = env.POSITION_ACTOR.getByName(positionIdFor(orderId));
    const positionD1 = await recordD1(pos);
    await stepQueue();
    await waitFor(async () => (await positionRow(positionIdFor(orderId)))?.status === "open");

    const sell = sellOf(wallet, m, 4000_000000n, 1, nowS() - 1);
    expect((await postInProcess([sell])).status).toBe(200);
    await stub.drained();
    await stepQueue();
    await runDurableObjectAlarm(pos);
    await waitFor(async () => (await positionRow(positionIdFor(orderId)))?.status === "closed");

    const filtered = await signalBySignature(stale.signature);
    expect(filtered).toMatchObject({ filtered: 1, filter_reason: "stale_signal" });
    const passed = await signalBySignature(buy.signature);
    expect(passed).toMatchObject({ filtered: 0, entry_usd: 50, order_id: orderId });
    const sold = await signalBySignature(sell.signature);
    expect(sold).toMatchObject({ signal_type: "sell", filtered: 0 });
    expect(await orderRow(orderId)).toMatchObject({ signal_id: passed.id });
    expect(await positionRow(positionIdFor(orderId))).toMatchObject({
      signal_id: passed.id,
      exit_reason: "mirror_exit",
    });
    // The mirror exit's sell order is linked to the SELL signal through its signature.
    const exitOrder = await env.DB.prepare("SELECT signal_id FROM orders WHERE id = ?").bind(sold.order_id).first();
    expect(exitOrder).toEqual({ signal_id: sold.id });

    const inserts = writerD1.statements.filter((q) => /^\s*insert\s+into\s+["`]?signals["`]?/i.test(q));
    expect(inserts.length).toBeGreaterThan(0);
    expect(updatesOfSignals([walletD1, queueD1, positionD1, writerD1])).toEqual([]);
  });

  it("D1 unreachable: a webhook BUY is acked, decided, filled and opened; the rows land linked once D1 is back", async () => {
    const { wallet, m, stub } = await warmLeader();
    const down = () => faultyD1(env.DB, { match: /./, times: 1_000_000, message: "D1 unreachable (test)" });
    const route = down();
    const restores = [
      await patchEnv(stub, { DB: down().binding }),
      await patchEnv(queue(), { DB: down().binding }),
      await patchWriter({ DB: down().binding }), // the read model's shared writer
    ];

    const buy = { ...nativeBuy(wallet, m, { sol: 1, tokens: 4000 }), timestamp: nowS() - 2 };
    const res = await postInProcess([buy], { ...env, DB: route.binding });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1 } });
    await stub.drained();
    // Decided (the entry is in the queue) with nothing in D1; the signal waits in the actor's outbox.
    const orderId = await waitFor(() => pendingOrderOf(buy.signature));
    expect(await outboxSignal(wallet, buy.signature)).toMatchObject({
      state: "queued",
      entry_usd: 50,
      order_id: orderId,
    });
    const pid = positionIdFor(orderId);
    const pos = env.POSITION_ACTOR.getByName(pid);
    restores.push(await patchEnv(pos, { DB: down().binding }));
    await stepQueue();
    // Filled in simulation and open, in actor state only.
    const actorState = () =>
      runInDurableObject(pos, (i) => {
        const s = (i as unknown as { state: Record<string, unknown> | null }).state;
        return s
          ? { status: s.status, token_mint: s.token_mint, source_wallet_address: s.source_wallet_address }
          : null;
      });
    const st = await waitFor(async () => ((await actorState())?.status === "open" ? actorState() : null));
    expect(st).toMatchObject({ status: "open", token_mint: m, source_wallet_address: wallet });
    expect(await signalBySignature(buy.signature)).toBeNull();
    expect(await orderRow(orderId)).toBeNull();
    expect(await positionRow(pid)).toBeNull();

    // D1 is back: the owed writes run (alarms) and the three rows appear, linked.
    for (const restore of restores) await restore();
    await waitFor(async () => {
      await settle(wallet, { forceDue: true });
      await stepQueue();
      await runDurableObjectAlarm(pos);
      return (await positionRow(pid)) && (await orderRow(orderId)) && (await signalBySignature(buy.signature));
    });
    const signal = await signalBySignature(buy.signature);
    expect(signal).toMatchObject({ filtered: 0, entry_usd: 50, order_id: orderId });
    expect(await orderRow(orderId)).toMatchObject({ signal_id: signal.id });
    expect(await positionRow(pid)).toMatchObject({ signal_id: signal.id, status: "open" });
  });

  it("a mirror exit keyed by the SELL's signature: the same sale twice mirrors once, owed before the open or not", async () => {
    const m = addr();
    await fake.tokens({ mint: m, price_usd: 1, decimals: 6 });
    const bought = await queue().enqueue(buyRequest(m, { signal_signature: `buy-${m}` }));
    const pid = positionIdFor(bought.order_id);
    const pos = env.POSITION_ACTOR.getByName(pid);
    const req = { transaction_signature: `sale-${m}`, leader_address: LEADER, token_mint: m, fraction: 0.5 };
    // Not open yet: owed, once for the sale however often it is told.
    expect(await pos.mirrorExit(req)).toMatchObject({ queued: false, reason: "owed_until_open" });
    expect(await pos.mirrorExit(req)).toMatchObject({ queued: false, reason: "owed_until_open" });
    await stepQueue();
    await waitFor(async () => (await positionRow(pid))?.status === "open");
    const again = await pos.mirrorExit(req); // the same sale once more, now that it is open
    const mirrors = await runInDurableObject(pos, (_i, state) => ({
      exits: state.storage.sql
        .exec<{ key: string; order_id: string | null }>("SELECT key, order_id FROM exits WHERE reason = 'mirror_exit'")
        .toArray(),
      owed: state.storage.sql.exec("SELECT 1 FROM owed_mirror_exits").toArray().length,
    }));
    expect(mirrors.exits.map((e) => e.key)).toEqual([`${pid}:mirror_exit:sale-${m}`]);
    expect(mirrors.owed).toBe(0);
    expect(again.order_id).toBe(mirrors.exits[0]?.order_id);
  });

  it("a parked row requeued by the operator: its decided signal replaces the placeholder, with no UPDATE", async () => {
    const wallet = addr();
    const m = addr();
    await insertWallet(wallet);
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const spy = await spyActor(wallet);
    spy.failEnqueue = 1_000;
    const stub = env.WALLET_ACTOR.getByName(wallet);
    const d1 = await recordD1(stub);
    const buy = nativeBuy(wallet, m, { sol: 1, tokens: 1000 });
    await deliver([buy]);
    for (let i = 0; i < 15 && (await stub.inbox()).find((r) => r.signature === buy.signature)?.state !== "dead"; i++)
      await settle(wallet, { forceDue: true });
    // Parked: the placeholder keeps the classification, filtered invalid_transaction.
    expect(await signalBySignature(buy.signature)).toMatchObject({
      signal_type: "buy",
      filtered: 1,
      filter_reason: "invalid_transaction",
    });
    spy.failEnqueue = 0;
    expect(await stub.requeue(buy.signature)).toMatchObject({ requeued: true, state: "recorded" });
    await settle(wallet, { forceDue: true });
    expect(await signalBySignature(buy.signature)).toMatchObject({
      signal_type: "buy",
      filtered: 0,
      filter_reason: null,
      entry_usd: 50,
      order_id: `order-entry:${buy.signature}`,
    });
    expect(updatesOfSignals([d1])).toEqual([]);
  });

  it("the actor killed between the decision and the flush: its alarm still writes the signal row", async () => {
    const wallet = addr();
    const m = addr();
    await insertWallet(wallet);
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
    const spy = await spyActor(wallet);
    const stub = env.WALLET_ACTOR.getByName(wallet);
    // The process dies right after the decision: the flush never runs in this instance.
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { flushSignals: () => Promise<void> }).flushSignals = async () => {};
    });
    const buy = nativeBuy(wallet, m, { sol: 1, tokens: 1000 });
    expect((await deliver([buy])).status).toBe(200);
    expect(spy.enqueued).toHaveLength(1);
    expect((await stub.inbox()).map((r) => r.state)).toEqual(["done"]);
    expect(await signalBySignature(buy.signature)).toBeNull();
    expect(await outboxSignal(wallet, buy.signature)).toMatchObject({ state: "queued" });

    // The alarm armed by the delivery is there; after the kill a fresh instance's run writes the row.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    await abortAllDurableObjects();
    const fresh = env.WALLET_ACTOR.getByName(wallet);
    await runDurableObjectAlarm(fresh);
    expect(await signalBySignature(buy.signature)).toMatchObject({
      filtered: 0,
      entry_usd: 50,
      order_id: `order-entry:${buy.signature}`,
    });
    expect(await outboxSignal(wallet, buy.signature)).toBeNull(); // written: nothing kept in the actor
  });
});
