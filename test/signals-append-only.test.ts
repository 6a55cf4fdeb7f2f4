import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { positionIdFor } from "../src/domain/position";
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
} from "./helpers/execution";
import { fake } from "./helpers/fake";
import { type FaultyD1, faultyD1, patchEnv } from "./helpers/faults";
import { holdQueue, stepQueue } from "./helpers/queue-steps";

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
