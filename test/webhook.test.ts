import { createExecutionContext, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import pumpAmm from "../../shared/fixtures/helius-webhook-enhanced-swap-pumpamm.captured.json";
import worker from "../src/index";
import { pushHotState } from "../src/pipeline/wallet-hot-state";
import { randomAddress } from "./helpers/addresses";
import { expectErrorShape } from "./helpers/api";
import { fake } from "./helpers/fake";
import { addr, nativeBuy, sig, tx, USDC, WSOL } from "./helpers/helius";
import { bookPosition, unbookPosition } from "./helpers/queue-book";
import {
  deliver,
  HELIUS_SECRET,
  insertWallet,
  outboxSignal,
  settle,
  signalBySignature,
  spyActor,
} from "./helpers/wallet-actor";

const count = async (table: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;

/** A fresh watched wallet, a safe token and a spied actor. */
async function setup(fields: Record<string, string | number | null> = {}) {
  const wallet = addr();
  const mint = addr();
  const id = await insertWallet(wallet, fields);
  await fake.tokens({ mint, price_usd: 0.002, decimals: 6, liquidity_usd: 200_000, age_hours: 100 });
  const spy = await spyActor(wallet);
  return { wallet, mint, id, spy };
}

beforeEach(async () => {
  await fake.reset();
});

describe("POST /webhooks/helius — authentication and limits", () => {
  it("answers 403 for a missing, wrong or Bearer-prefixed header, and stores nothing", async () => {
    const { wallet, mint } = await setup();
    const before = await count("signals");
    const body = [nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })];
    for (const auth of [null, "", "wrong", `Bearer ${HELIUS_SECRET}`, `${HELIUS_SECRET}x`, HELIUS_SECRET.slice(1)]) {
      const res = await deliver(body, auth);
      expect(res.status, String(auth)).toBe(403);
      expectErrorShape(res.body, "Forbidden");
    }
    expect(await count("signals")).toBe(before);
    expect(await env.WALLET_ACTOR.getByName(wallet).inbox()).toEqual([]);
  });

  it("answers 503 when the secret is not configured (never open)", async () => {
    const res = await worker.fetch(
      new Request("https://walltrack.test/webhooks/helius", {
        method: "POST",
        headers: { authorization: "", "content-type": "application/json" },
        body: "[]",
      }),
      { ...env, HELIUS_WEBHOOK_SECRET: "" },
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expectErrorShape(await res.json(), "NotConfigured");
  });

  it("answers 413 PayloadTooLarge above 1 MB, 400 for non-JSON or a non-array body", async () => {
    const big = JSON.stringify([{ padding: "x".repeat(1024 * 1024) }]);
    const res = await deliver(big);
    expect(res.status).toBe(413);
    expectErrorShape(res.body, "PayloadTooLarge");
    const bad = await deliver("{not json");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body);
    const obj = await deliver({ signature: sig() });
    expect(obj.status).toBe(400);
    expectErrorShape(obj.body, "ValidationError");
  });

  it("an empty array is fine", async () => {
    const res = await deliver([]);
    expect(res).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 0, ignored: 0, rejected: 0 } });
  });

  it("the webhook does not need the operator token and is not under /api", async () => {
    const res = await deliver([], HELIUS_SECRET);
    expect(res.status).toBe(200);
  });
});

describe("the real captured PumpSwap delivery", () => {
  it("is accepted, recorded as a SELL with exact amounts and timings, and updates last_signal_at", async () => {
    const leader = "DNfuF1L62WWyW3pNakVkyGGFzVVhj4Yr52jSmdTyeBHm";
    const id = await insertWallet(leader);
    await spyActor(leader);
    const res = await deliver(pumpAmm);
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0, ignored: 0, rejected: 0 } });
    const s = await signalBySignature(pumpAmm[0]!.signature);
    expect(s).toMatchObject({
      wallet_id: id,
      wallet_address: leader,
      signal_type: "sell",
      token_mint: "44sVpouhWHXzADVsVUo863tvgmaw6LNQo25fYRs1pump",
      token_amount: "3666988222932",
      token_decimals: 6,
      quote_mint: WSOL,
      quote_amount: "11263971513",
      sol_amount: 11.263971513,
      helius_type: "SWAP",
      helius_source: "PUMP_AMM",
      slot: 362536673,
      block_time: "2025-08-26T01:53:43.000Z",
    });
    expect(JSON.parse(s.raw_payload)).toEqual(pumpAmm[0]);
    expect(Date.parse(s.webhook_received_at)).toBeGreaterThan(Date.now() - 60_000);
    const w = await env.DB.prepare("SELECT last_signal_at FROM wallets WHERE id = ?").bind(id).first<any>();
    expect(w.last_signal_at).toBe(s.webhook_received_at);
    // No open position copied from this leader: the SELL is kept, filtered no_open_position, with timings.
    await settle(leader);
    const done = await signalBySignature(pumpAmm[0]!.signature);
    expect(done).toMatchObject({ filtered: 1, filter_reason: "no_open_position" });
    expect(done.usd_amount).toBeCloseTo(11.263971513 * 150, 6);
    expect(done.processed_at).toBeTruthy();
    expect(done.processing_duration_ms).toBeGreaterThanOrEqual(0);
  });
});

describe("durable hand-off", () => {
  it("the ack needs only the actor's inbox: a failed signal write is retried by the alarm", async () => {
    const { wallet, mint } = await setup();
    const stub = env.WALLET_ACTOR.getByName(wallet);
    await runInDurableObject(stub, (instance) => {
      const i = instance as unknown as { record: (...a: unknown[]) => Promise<void> };
      const real = i.record.bind(instance);
      let fails = 1;
      i.record = async (...a) => {
        if (fails-- > 0) throw new Error("D1 unavailable (test)");
        return real(...a);
      };
    });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const res = await deliver([t]);
    expect(res.body).toMatchObject({ accepted: 1 });
    // The decision the delivery started failed on the signal write: the row waits for its retry.
    await stub.drained();
    expect(await signalBySignature(t.signature)).toBeNull();
    expect((await stub.inbox()).map((r) => [r.signature, r.state, r.attempts])).toEqual([[t.signature, "received", 1]]);
    await settle(wallet, { forceDue: true });
    expect(await signalBySignature(t.signature)).toMatchObject({ signal_type: "buy", entry_usd: 50 });
  });
});

describe("a failing hand-off", () => {
  it("answers 503 so Helius redelivers, and stores nothing of what the actor refused", async () => {
    const b = await setup();
    // Break the actor: its persisted identity says it serves another address, so ingest refuses.
    // (Instance patching cannot do it: RPC dispatches on the prototype.)
    const stubB = env.WALLET_ACTOR.getByName(b.wallet);
    const setIdentity = (value: string) =>
      runInDurableObject(stubB, (_i, state) => {
        state.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('address', ?)", value);
      });
    await setIdentity("SomeOtherAddress1111111111111111111111111111");
    const body = [nativeBuy(b.wallet, b.mint, { sol: 1, tokens: 1000 })];
    const first = await deliver(body);
    expect(first.status).toBe(503);
    expectErrorShape(first.body, "UpstreamUnavailable");
    expect(JSON.stringify(first.body)).not.toContain("SomeOtherAddress");
    expect(await signalBySignature(body[0]!.signature)).toBeNull();
    await setIdentity(b.wallet);
    const retry = await deliver(body);
    expect(retry).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } });
    // Recorded by ingest within its time budget, or by the alarm when a loaded machine ran past it.
    await settle(b.wallet);
    expect(await signalBySignature(body[0]!.signature)).toBeTruthy();
  });
});

describe("a wallet deleted after the delivery", () => {
  it("keeps the signal without the wallet reference, filtered inactive_wallet, instead of retrying forever", async () => {
    const wallet = addr();
    const mint = addr();
    const spy = await spyActor(wallet);
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const stub = env.WALLET_ACTOR.getByName(wallet);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("INSERT INTO meta (key, value) VALUES ('address', ?)", wallet);
      state.storage.sql.exec(
        "INSERT INTO inbox (signature, payload, received_at_ms, wallet_id, wallet_active, next_attempt_ms) VALUES (?, ?, ?, 999999, 1, 0)",
        t.signature,
        JSON.stringify(t),
        Date.now(),
      );
    });
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now()));
    const rows = await settle(wallet);
    expect(rows[0]).toMatchObject({ state: "done" });
    expect(await signalBySignature(t.signature)).toMatchObject({
      wallet_id: null,
      wallet_address: wallet,
      filtered: 1,
      filter_reason: "inactive_wallet",
    });
    expect(spy.enqueued).toEqual([]);
  });
});

describe("a hand-off that failed after persisting", () => {
  it("is a duplicate on redelivery, and the redelivery re-arms the alarm that processes it", async () => {
    const { wallet, mint, spy } = await setup();
    const stub = env.WALLET_ACTOR.getByName(wallet);
    await runInDurableObject(stub, (instance) => {
      const i = instance as unknown as { armAlarm: (at: number) => Promise<void> };
      const real = i.armAlarm.bind(instance);
      let fails = 1;
      i.armAlarm = async (at) => {
        if (fails-- > 0) throw new Error("alarm storage hiccup (test)");
        return real(at);
      };
    });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    expect((await deliver([t])).status).toBe(503);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    const again = await deliver([t]);
    expect(again).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 1 } });
    await settle(wallet); // runs only an alarm that is armed: without the re-arm nothing would process it
    expect(await signalBySignature(t.signature)).toMatchObject({ entry_usd: 50 });
    expect(spy.enqueued).toHaveLength(1);
  });
});

describe("dedupe", () => {
  it("the same delivery twice makes one signal", async () => {
    const { wallet, mint } = await setup();
    const body = [nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })];
    const first = await deliver(body);
    const second = await deliver(body);
    expect(first.body).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(second.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM signals WHERE transaction_signature = ?")
      .bind(body[0]!.signature)
      .first<{ n: number }>();
    expect(n?.n).toBe(1);
  });

  it("the same delivery twice concurrently makes one signal and one entry", async () => {
    const { wallet, mint, spy } = await setup();
    const body = [nativeBuy(wallet, mint, { sol: 1, tokens: 1000 })];
    const results = await Promise.all([deliver(body), deliver(body), deliver(body)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.reduce((s, r) => s + r.body.accepted, 0)).toBe(1);
    expect(results.reduce((s, r) => s + r.body.duplicates, 0)).toBe(2);
    await settle(wallet);
    const rows = await env.DB.prepare("SELECT * FROM signals WHERE transaction_signature = ?")
      .bind(body[0]!.signature)
      .all();
    expect(rows.results).toHaveLength(1);
    expect(spy.enqueued).toHaveLength(1);
  });

  it("a signature repeated inside one delivery counts once", async () => {
    const { wallet, mint } = await setup();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const res = await deliver([t, t]);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 1 });
  });
});

describe("routing", () => {
  it("a malformed item is rejected without affecting the good ones", async () => {
    const { wallet, mint } = await setup();
    const a = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const b = nativeBuy(wallet, mint, { sol: 2, tokens: 2000 });
    const res = await deliver([a, { signature: "not base58 0OIl", timestamp: "x" }, 42, b]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2, ignored: 0, duplicates: 0 });
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2]);
    await settle(wallet);
    expect(await signalBySignature(a.signature)).toBeTruthy();
    expect(await signalBySignature(b.signature)).toBeTruthy();
  });

  it("a transaction involving no watched wallet is ignored and not stored", async () => {
    const stranger = addr();
    const t = nativeBuy(stranger, addr(), { sol: 1, tokens: 1000 });
    const res = await deliver([t]);
    expect(res.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(await signalBySignature(t.signature)).toBeNull();
  });

  it("a transaction involving two watched wallets is the signer's signal", async () => {
    const { wallet, mint } = await setup();
    const other = addr();
    await insertWallet(other);
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    t.nativeTransfers.push({ amount: 1000, fromUserAccount: wallet, toUserAccount: other });
    const res = await deliver([t]);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await signalBySignature(t.signature)).toMatchObject({ wallet_address: wallet, signal_type: "buy" });
    expect(await env.WALLET_ACTOR.getByName(other).inbox()).toEqual([]);
  });

  it("an inactive watched wallet's swap is recorded, filtered inactive_wallet, and never enqueued", async () => {
    const { wallet, mint, spy } = await setup({ is_active: 0 });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const res = await deliver([t]);
    expect(res.body).toMatchObject({ accepted: 1 });
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({
      signal_type: "buy",
      filtered: 1,
      filter_reason: "inactive_wallet",
    });
    expect(spy.enqueued).toEqual([]);
  });

  it("a wallet's non-trade transaction is recorded as other / not_a_trade", async () => {
    const { wallet } = await setup();
    const t = tx({ feePayer: wallet, natives: [{ amount: 1e9, from: wallet, to: addr() }], type: "TRANSFER" });
    await deliver([t]);
    expect(await signalBySignature(t.signature)).toMatchObject({
      signal_type: "other",
      filtered: 1,
      filter_reason: "not_a_trade",
    });
  });

  it("a BUY older than max_signal_age_seconds is recorded, filtered stale_signal", async () => {
    const { wallet, mint, spy } = await setup();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000, timestamp: Math.floor(Date.now() / 1000) - 61 });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ filtered: 1, filter_reason: "stale_signal" });
    expect(spy.enqueued).toEqual([]);
  });
});

describe("BUY pipeline", () => {
  it("a safe BUY enqueues one NORMAL entry with the contract's fields; the decision is on the signal", async () => {
    const { wallet, mint, id, spy } = await setup();
    const t = nativeBuy(wallet, mint, { sol: 1.5, tokens: 300000 });
    await deliver([t]);
    await settle(wallet);
    const s = await signalBySignature(t.signature);
    expect(spy.enqueued).toEqual([
      {
        // Keyed by the transaction: the signal row is written behind the decision (issue 10, 16).
        idempotency_key: `entry:${t.signature}`,
        side: "buy",
        priority: "normal",
        mode: "simulation",
        token_mint: mint,
        wallet_id: id,
        signal_signature: t.signature,
        reason: "entry",
        leader_block_time: t.timestamp,
        leader_slot: t.slot,
        requested_usd: 50,
        entry: {
          source_wallet_address: wallet,
          exit_strategy_id: null,
          token_decimals: 6,
          leader_price_usd: expect.closeTo((1.5 / 300000) * 150, 12),
        },
      },
    ]);
    expect(s).toMatchObject({
      filtered: 0,
      filter_reason: null,
      entry_usd: 50,
      order_id: `order-entry:${t.signature}`,
      safety_score: 1,
      sol_amount: 1.5,
      usd_amount: 225,
    });
    expect(s.price_usd).toBeCloseTo(0.00075, 12);
    expect(s.processed_at).toBeTruthy();
  });

  it("a SwapQueue failure keeps the entry in the inbox and retries it with the same request", async () => {
    const { wallet, mint, spy } = await setup();
    spy.failEnqueue = 2;
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    let rows = await settle(wallet);
    let row = rows.find((r) => r.signature === t.signature)!;
    expect(row).toMatchObject({ state: "recorded", attempts: 1, last_error: "SwapQueue unavailable (test)" });
    expect(row.decision).toMatchObject({ kind: "entry", request: { requested_usd: 50, side: "buy" } });
    // The decision is kept on the actor's draft of the signal; D1 gets the row once, when it is finished.
    expect(await outboxSignal(wallet, t.signature)).toMatchObject({
      state: "draft",
      filtered: false,
      entry_usd: 50,
      processed_at: null,
    });
    expect(await signalBySignature(t.signature)).toBeNull();

    rows = await settle(wallet, { forceDue: true });
    row = rows.find((r) => r.signature === t.signature)!;
    expect(row).toMatchObject({ state: "recorded", attempts: 2 });

    rows = await settle(wallet, { forceDue: true });
    expect(rows.find((r) => r.signature === t.signature)).toMatchObject({ state: "done" });
    const s = await signalBySignature(t.signature);
    expect(s).toMatchObject({ order_id: `order-entry:${t.signature}`, entry_usd: 50 });
    expect(spy.enqueued).toHaveLength(3);
    expect(new Set(spy.enqueued.map((r) => JSON.stringify(r))).size).toBe(1); // same key, same request

    // Running the alarm again (duplicate delivery of the alarm) does nothing more.
    await settle(wallet, { forceDue: true });
    expect(spy.enqueued).toHaveLength(3);
  });

  it("an entry the SwapQueue keeps refusing is given up once the trade is too old: enqueue_failed", async () => {
    const { wallet, mint, spy } = await setup();
    spy.failEnqueue = 100;
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    expect(await outboxSignal(wallet, t.signature)).toMatchObject({ state: "draft", filtered: false, entry_usd: 50 });
    // Received 61 s ago (max_signal_age_seconds = 60): the next failure ends the retries.
    await runInDurableObject(env.WALLET_ACTOR.getByName(wallet), (_i, state) => {
      state.storage.sql.exec("UPDATE inbox SET received_at_ms = ?", Date.now() - 61_000);
    });
    const rows = await settle(wallet, { forceDue: true });
    expect(rows.find((r) => r.signature === t.signature)).toMatchObject({ state: "done" });
    expect(await signalBySignature(t.signature)).toMatchObject({ filtered: 1, filter_reason: "enqueue_failed" });
    expect(spy.enqueued).toHaveLength(2);
  });

  it("the inbox survives eviction: a pending entry is still retried by a fresh instance", async () => {
    const { wallet, mint, spy } = await setup();
    spy.failEnqueue = 1;
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    const stub = env.WALLET_ACTOR.getByName(wallet);
    await evictDurableObject(stub);
    const spy2 = await spyActor(wallet);
    await settle(wallet, { forceDue: true });
    expect(spy2.enqueued).toHaveLength(1);
    expect(await signalBySignature(t.signature)).toMatchObject({ order_id: expect.stringContaining("order-entry:") });
  });

  it("an unsafe token is filtered safety_check_failed with the score and its parts stored", async () => {
    const { wallet, spy } = await setup();
    const mint = addr();
    await fake.tokens({
      mint,
      price_usd: 0.001,
      liquidity_usd: 500,
      freeze_authority: "Frz1111111111111111111111111111111111111111",
    });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({
      filtered: 1,
      filter_reason: "safety_check_failed",
      safety_score: 0.5,
      entry_usd: null,
    });
    const tok = await env.DB.prepare("SELECT * FROM tokens WHERE mint_address = ?").bind(mint).first<any>();
    expect(tok).toMatchObject({
      safety_score: 0.5,
      check_liquidity_passed: 0,
      check_holders_passed: 1,
      check_contract_passed: 0,
      check_age_passed: 1,
      freeze_authority: "Frz1111111111111111111111111111111111111111",
    });
    expect(JSON.parse(tok.contract_flags)).toEqual(["freeze_authority"]);
    expect(spy.enqueued).toEqual([]);
  });

  it("no safety data (RugCheck down, nothing cached) → safety_unavailable", async () => {
    const { wallet, mint, spy } = await setup();
    await fake.fail("rugcheck.report", { status: 502 });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ filtered: 1, filter_reason: "safety_unavailable" });
    expect(spy.enqueued).toEqual([]);
  });

  it("the config switch skips the safety check", async () => {
    await env.DB.prepare("UPDATE config SET safety_check_enabled = 0").run();
    try {
      const { wallet, spy } = await setup();
      const mint = addr();
      await fake.tokens({
        mint,
        price_usd: 0.001,
        liquidity_usd: 1,
        mint_authority: "Mint111111111111111111111111111111111111111",
      });
      const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
      await deliver([t]);
      await settle(wallet);
      expect(await signalBySignature(t.signature)).toMatchObject({ filtered: 0, safety_score: null, entry_usd: 50 });
      expect(spy.enqueued).toHaveLength(1);
      expect((await fake.calls())["rugcheck.report"] ?? 0).toBe(0);
    } finally {
      await env.DB.prepare("UPDATE config SET safety_check_enabled = 1").run();
    }
  });

  it("an open circuit breaker blocks the entry and records why", async () => {
    await env.DB.prepare(
      "INSERT INTO circuit_breaker_events (event_type, trigger, reason) VALUES ('trip', 'manual', 'test trip')",
    ).run();
    try {
      const { wallet, mint, spy } = await setup();
      const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
      await deliver([t]);
      await settle(wallet);
      expect(await signalBySignature(t.signature)).toMatchObject({
        filtered: 1,
        filter_reason: "circuit_breaker",
        entry_usd: null,
      });
      expect(spy.enqueued).toEqual([]);
      expect((await fake.calls())["rugcheck.report"] ?? 0).toBe(0); // the gate runs before any upstream call
    } finally {
      await env.DB.prepare(
        "INSERT INTO circuit_breaker_events (event_type, trigger, reason) VALUES ('reset', 'manual', 'test reset')",
      ).run();
    }
  });

  it("an entry the SwapQueue cancels at its own breaker gate is recorded with that reason", async () => {
    const { wallet, mint, spy } = await setup();
    spy.cancelReason = "circuit_breaker";
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    const s = await signalBySignature(t.signature);
    expect(s).toMatchObject({ filtered: 1, filter_reason: "circuit_breaker", order_id: `order-entry:${t.signature}` });
  });

  it("a leader trade below the wallet's minimum is filtered leader_trade_too_small", async () => {
    const { wallet, mint, spy } = await setup({ min_leader_trade_sol: 0.5 });
    const small = nativeBuy(wallet, mint, { sol: 0.4999, tokens: 1000 });
    const ok = nativeBuy(wallet, mint, { sol: 0.5, tokens: 1000 });
    await deliver([small]);
    await settle(wallet);
    await deliver([ok]);
    await settle(wallet);
    expect(await signalBySignature(small.signature)).toMatchObject({ filter_reason: "leader_trade_too_small" });
    expect(await signalBySignature(ok.signature)).toMatchObject({ filtered: 0, entry_usd: 50 });
    expect(spy.enqueued).toHaveLength(1);
  });

  it("buy-once: the leader's second buy of a mint is filtered already_bought, even while the first is retrying", async () => {
    const { wallet, mint, spy } = await setup();
    spy.failEnqueue = 1;
    const a = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    const b = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([a, b]);
    await settle(wallet);
    expect(await outboxSignal(wallet, a.signature)).toMatchObject({ state: "draft", filtered: false, entry_usd: 50 });
    expect(await signalBySignature(b.signature)).toMatchObject({ filtered: 1, filter_reason: "already_bought" });
    await settle(wallet, { forceDue: true });
    expect(await signalBySignature(a.signature)).toMatchObject({ filtered: 0, entry_usd: 50 });
  });

  it("re-buys when the wallet allows them, sized as a percentage of the first entry", async () => {
    const { wallet, mint, spy } = await setup({ allow_rebuys: 1, rebuy_size_percent: 40, fixed_position_usd: 100 });
    const a = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([a]);
    await settle(wallet);
    const b = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([b]);
    await settle(wallet);
    expect(spy.enqueued.map((r) => r.requested_usd)).toEqual([100, 40]);
  });

  it("a mint in cooldown after an exit is filtered mint_cooldown", async () => {
    const { wallet, mint, id, spy } = await setup();
    await env.DB.prepare(
      `INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at, closed_at)
       VALUES (?, ?, ?, ?, 6, 'simulation', 'closed', 0.001, '1000', 10, '0', ?, ?)`,
    )
      .bind(`pos-${mint}`, id, addr(), mint, new Date(Date.now() - 7200_000).toISOString(), new Date().toISOString())
      .run();
    // A close from before the queue's book (an earlier version's): the book copies D1's closes once.
    await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
      state.storage.sql.exec("DELETE FROM meta WHERE key = 'book_closes_seeded'");
    });
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ filter_reason: "mint_cooldown" });
    expect(spy.enqueued).toEqual([]);
  });

  it("the open-positions cap and the exposure cap filter the entry", async () => {
    const { wallet, mint, spy } = await setup();
    const n = await count("orders");
    expect(n).toBe(0);
    await env.DB.prepare("UPDATE config SET max_total_exposure_usd = 40").run();
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    await env.DB.prepare("UPDATE config SET max_total_exposure_usd = 1000, max_open_positions = 1").run();
    // A write outside the API reaches the warm actor by a push (the API's writes push on their own).
    await pushHotState(env, { addresses: [wallet] });
    const held = await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000', 10, '1000', ?) RETURNING id`,
    )
      .bind(`pos-cap-${mint}`, addr(), addr(), new Date().toISOString())
      .first<{ id: string }>();
    await bookPosition({ id: held?.id as string, leader: addr(), mint: addr(), cost_usd: 10, amount: "1000" });
    const u = nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 });
    await fake.tokens({ mint: u.tokenTransfers[0]!.mint, price_usd: 0.001 });
    await deliver([u]);
    await settle(wallet);
    await env.DB.prepare("UPDATE config SET max_open_positions = 10").run();
    await env.DB.prepare("DELETE FROM positions WHERE id = ?").bind(held?.id).run();
    await unbookPosition(held?.id as string);
    expect(await signalBySignature(t.signature)).toMatchObject({ filter_reason: "max_exposure" });
    expect(await signalBySignature(u.signature)).toMatchObject({ filter_reason: "max_open_positions" });
    expect(spy.enqueued).toEqual([]);
  });

  it("fixed_sol sizing without a SOL price is filtered price_unavailable; with one it is sized", async () => {
    const { wallet, mint, spy } = await setup({ position_sizing_mode: "fixed_sol" });
    spy.solUsd = null;
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 1000 });
    await deliver([t]);
    await settle(wallet);
    const s = await signalBySignature(t.signature);
    expect(s).toMatchObject({ filter_reason: "price_unavailable", price_usd: null, sol_amount: 1 });
    expect(s.price_sol).toBeCloseTo(0.001, 12);
    spy.solUsd = 200;
    const u = nativeBuy(wallet, addr(), { sol: 1, tokens: 1000 });
    await fake.tokens({ mint: u.tokenTransfers[0]!.mint, price_usd: 0.2 });
    await deliver([u]);
    await settle(wallet);
    expect(await signalBySignature(u.signature)).toMatchObject({ filtered: 0, entry_usd: 50 }); // 0.25 SOL × 200
  });
});

describe("BUY quoted in USDC, and unknown decimals", () => {
  it("a USDC buy is converted to SOL for the leader-size rule and sized by leader_ratio in USD", async () => {
    const { wallet, mint, spy } = await setup({ position_sizing_mode: "leader_ratio", leader_ratio: 0.2 });
    spy.solUsd = 125;
    const pool = addr();
    const t = tx({
      feePayer: wallet,
      tokens: [
        { mint: USDC, amount: 250, from: wallet, to: pool },
        { mint, amount: 100000, from: pool, to: wallet },
      ],
      changes: [{ user: wallet, mint, raw: "100000000000", decimals: 6 }],
    });
    await deliver([t]);
    await settle(wallet);
    const s = await signalBySignature(t.signature);
    expect(s).toMatchObject({
      quote_mint: USDC,
      quote_amount: "250000000",
      usd_amount: 250,
      sol_amount: 2,
      filtered: 0,
    });
    expect(s.price_usd).toBeCloseTo(0.0025, 12);
    expect(s.price_sol).toBeCloseTo(0.00002, 12);
    expect(spy.enqueued[0]?.requested_usd).toBeCloseTo(50, 9); // 250 USD × 0.2
  });

  it("a USDC buy without a SOL price cannot be checked against the SOL range: price_unavailable", async () => {
    const { wallet, mint, spy } = await setup();
    spy.solUsd = null;
    const pool = addr();
    const t = tx({
      feePayer: wallet,
      tokens: [
        { mint: USDC, amount: 250, from: wallet, to: pool },
        { mint, amount: 100000, from: pool, to: wallet },
      ],
      changes: [{ user: wallet, mint, raw: "100000000000", decimals: 6 }],
    });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({ filter_reason: "price_unavailable", usd_amount: 250 });
    expect(spy.enqueued).toEqual([]);
  });

  it("decimals missing from the payload come from the token safety data", async () => {
    const { wallet, spy } = await setup();
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.01, decimals: 9 });
    const pool = addr();
    const t = tx({
      feePayer: wallet,
      natives: [{ amount: 1_000_000_000, from: wallet, to: pool }],
      tokens: [{ mint, amount: 500, from: pool, to: wallet }],
    });
    await deliver([t]);
    await settle(wallet);
    expect(await signalBySignature(t.signature)).toMatchObject({
      token_amount: "500000000000",
      token_decimals: 9,
      filtered: 0,
    });
    expect(spy.enqueued[0]?.entry?.token_decimals).toBe(9);
  });
});

describe("SELL → mirror exit", () => {
  async function openPosition(wallet: string, mint: string, id: string) {
    await env.DB.prepare(
      `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
        entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000000', 1, '1000000', ?)`,
    )
      .bind(id, wallet, mint, new Date().toISOString())
      .run();
    await bookPosition({ id, leader: wallet, mint, cost_usd: 1, amount: "1000000" });
  }
  const sell = (wallet: string, mint: string, raw: bigint, sol: number) => {
    const pool = addr();
    return tx({
      feePayer: wallet,
      tokens: [{ mint, amount: Number(raw) / 1e6, from: wallet, to: pool }],
      natives: [{ amount: Math.round(sol * 1e9), from: pool, to: wallet }],
      changes: [{ user: wallet, mint, raw: `-${raw}`, decimals: 6 }],
    });
  };

  it("asks each open position copied from this leader to sell the fraction the leader sold", async () => {
    const { wallet, mint, spy } = await setup();
    await env.DB.prepare("UPDATE config SET safety_check_enabled = 0").run();
    const buy = nativeBuy(wallet, mint, { sol: 1, tokens: 4000 }); // leader now holds 4000 tokens
    await deliver([buy]);
    await settle(wallet);
    await env.DB.prepare("UPDATE config SET safety_check_enabled = 1").run();
    await openPosition(wallet, mint, `pos-a-${mint}`);
    await openPosition(wallet, mint, `pos-b-${mint}`);
    await openPosition(addr(), mint, `pos-other-leader-${mint}`);
    spy.failExit = 1;
    // The chain agrees with the history: after the sale the leader still holds 3000.
    await fake.wallet({ address: wallet, token_accounts: [{ mint, amount: "3000000000", decimals: 6 }] });
    const s1 = sell(wallet, mint, 1000_000000n, 0.3); // a quarter of 4000
    await deliver([s1]);
    let rows = await settle(wallet);
    expect(rows.find((r) => r.signature === s1.signature)).toMatchObject({ state: "recorded", attempts: 1 });
    rows = await settle(wallet, { forceDue: true });
    expect(rows.find((r) => r.signature === s1.signature)).toMatchObject({ state: "done" });
    const sig1 = await signalBySignature(s1.signature);
    expect(spy.exits.map((e) => e.position_id).sort()).toEqual(
      [`pos-a-${mint}`, `pos-a-${mint}`, `pos-b-${mint}`].sort(),
    );
    expect(spy.exits.at(-1)?.req).toEqual({
      transaction_signature: s1.signature,
      leader_address: wallet,
      token_mint: mint,
      fraction: 0.25,
    });
    expect(sig1).toMatchObject({ signal_type: "sell", filtered: 0, leader_balance_before: "4000000000" });
    expect(sig1.usd_amount).toBeCloseTo(45, 9); // 0.3 SOL × 150
    expect(sig1.price_usd).toBeCloseTo(0.045, 12);
    expect(sig1.order_id).toBe(`exit-pos-a-${mint}`);

    // The leader sells the remaining 3000: everything it held → fraction 1.
    await fake.wallet({ address: wallet, token_accounts: [] });
    const s2 = sell(wallet, mint, 3000_000000n, 0.9);
    await deliver([s2]);
    await settle(wallet);
    expect(spy.exits.at(-1)?.req.fraction).toBe(1);
    expect(await signalBySignature(s2.signature)).toMatchObject({ leader_balance_before: "3000000000" });
  });

  it("an inactive leader's SELL still mirrors open positions copied from it; without one it is filtered inactive_wallet", async () => {
    const { wallet, mint, spy } = await setup({ is_active: 0 });
    await openPosition(wallet, mint, `pos-inactive-${mint}`);
    const s = sell(wallet, mint, 5_000000n, 0.01);
    await deliver([s]);
    await settle(wallet);
    expect(spy.exits.map((e) => e.position_id)).toEqual([`pos-inactive-${mint}`]);
    expect(await signalBySignature(s.signature)).toMatchObject({ filtered: 0, order_id: `exit-pos-inactive-${mint}` });
    const other = addr();
    const s2 = sell(wallet, other, 5_000000n, 0.01);
    await deliver([s2]);
    await settle(wallet);
    expect(await signalBySignature(s2.signature)).toMatchObject({ filtered: 1, filter_reason: "inactive_wallet" });
    expect(spy.exits).toHaveLength(1);
  });

  /** A leader with a valid address (the chain is read for it) and no recorded buys. */
  async function chainLeader() {
    const wallet = randomAddress();
    await insertWallet(wallet);
    const spy = await spyActor(wallet);
    const mint = randomAddress();
    await openPosition(wallet, mint, `pos-chain-${mint}`);
    return { wallet, mint, spy };
  }

  it("without a buy history, the balance before is the chain balance after plus the amount sold", async () => {
    const { wallet, mint, spy } = await chainLeader();
    await fake.wallet({
      address: wallet,
      token_accounts: [{ mint, amount: "15000000", decimals: 6, program: "token2022" }],
    });
    const s = sell(wallet, mint, 5_000000n, 0.01);
    await deliver([s]);
    await settle(wallet);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([0.25]);
    expect(await signalBySignature(s.signature)).toMatchObject({ leader_balance_before: "20000000", filtered: 0 });
  });

  it("without a buy history, a chain balance of 0 after the sale means it sold everything: fraction 1", async () => {
    const { wallet, mint, spy } = await chainLeader();
    await fake.wallet({ address: wallet, token_accounts: [] });
    const s = sell(wallet, mint, 5_000000n, 0.01);
    await deliver([s]);
    await settle(wallet);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([1]);
    expect(await signalBySignature(s.signature)).toMatchObject({ leader_balance_before: "5000000" });
  });

  it("without a buy history and with the chain unreadable: fraction 1, denominator unknown", async () => {
    const { wallet, mint, spy } = await chainLeader();
    await fake.fail("rpc.getTokenAccountsByOwner", { status: 503 });
    const s = sell(wallet, mint, 5_000000n, 0.01);
    await deliver([s]);
    await settle(wallet);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([1]);
    expect(await signalBySignature(s.signature)).toMatchObject({ leader_balance_before: null, filtered: 0 });
  });
});
