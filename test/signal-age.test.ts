/**
 * Issue 9 item 10: an entry's age is measured from the leader's block time carried in the swap request, checked
 * again when the SwapQueue executes it (never from the enqueue time); a block time in the future (milliseconds
 * where seconds belong) is invalid, never fresh. Real actors; the queue held and drained explicitly.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { entryTimeVerdict } from "../src/domain/signal-filters";
import { randomAddress } from "./helpers/addresses";
import { drainQueue, holdQueue, releaseQueue } from "./helpers/drive";
import { buyRequest, mint, orderRow, queue, resetBreaker, setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { ordersOf, positionsOf, signalsOf } from "./helpers/rows";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

const nowS = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await setConfig({
    swap_min_spacing_ms: 0,
    max_signal_age_seconds: 60,
    safety_check_enabled: false,
    max_open_positions: 1000,
    max_total_exposure_usd: 1e9,
  });
  await releaseQueue();
});

describe("entryTimeVerdict (pure)", () => {
  it("fresh, stale past the maximum age, invalid in the future or not a unix time in seconds", () => {
    const now = 1_760_000_000_000;
    expect(entryTimeVerdict(now / 1000 - 10, now, 60)).toBe("ok");
    expect(entryTimeVerdict(now / 1000 - 61, now, 60)).toBe("stale_signal");
    expect(entryTimeVerdict(now / 1000 + 5, now, 60)).toBe("ok"); // within the clock skew
    expect(entryTimeVerdict(now / 1000 + 3600, now, 60)).toBe("invalid_timestamp");
    expect(entryTimeVerdict(now, now, 60)).toBe("invalid_timestamp"); // milliseconds
    expect(entryTimeVerdict(0, now, 60)).toBe("invalid_timestamp");
    expect(entryTimeVerdict(1.5, now, 60)).toBe("invalid_timestamp");
  });
});

describe("SwapQueue: the entry's age at execution", () => {
  it("an entry that waited in the queue past max_signal_age_seconds from the leader's trade is cancelled stale_signal", async () => {
    const m = mint("AGE");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    await holdQueue();
    // The leader traded 50 s ago: fresh when enqueued ...
    const res = await queue().enqueue(buyRequest(m, { leader_block_time: nowS() - 50 }));
    expect(res).toMatchObject({ status: "pending" });
    // ... and 50 s is already too old by the time it executes (the limit lowered while it waited).
    await setConfig({ max_signal_age_seconds: 40 });
    await releaseQueue();
    await drainQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "stale_signal" });
    expect(await positionsOf(m)).toHaveLength(0);
  });

  it("an entry dated in the future (milliseconds where seconds belong) is refused invalid_timestamp, never filled", async () => {
    const m = mint("FUT");
    await fake.tokens({ mint: m, price_usd: 0.002, decimals: 6 });
    const res = await queue().enqueue(buyRequest(m, { leader_block_time: Date.now() }));
    await drainQueue();
    expect(await orderRow(res.order_id)).toMatchObject({ status: "cancelled", cancel_reason: "invalid_timestamp" });
    expect(await positionsOf(m)).toHaveLength(0);
  });

  it("a malformed leader block time is a bad request, nothing written", async () => {
    const m = mint("BAD");
    const req = { ...buyRequest(m), leader_block_time: "soon" as unknown as number };
    let message = "resolved";
    try {
      await queue().enqueue(req);
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/invalid swap request: leader_block_time/);
    expect(await ordersOf(m)).toHaveLength(0);
  });
});

describe("WalletActor: the leader's block time", () => {
  it("a delivered BUY carries its block time and slot in the swap request", async () => {
    const leader = randomAddress();
    await insertWallet(leader);
    const spy = await spyActor(leader);
    const m = randomAddress();
    const t = nowS() - 5;
    const buy = buildSwapTx({
      signature: fakeSignature(`age-req-${m}`),
      wallet: leader,
      mint: m,
      side: "buy",
      quote_amount: 1,
      token_amount: 10_000,
      timestamp: t,
    });
    await deliver([buy]);
    await settle(leader);
    expect(spy.enqueued).toHaveLength(1);
    expect(spy.enqueued[0]).toMatchObject({ leader_block_time: t, leader_slot: buy.slot });
  });

  it("a BUY whose timestamp is in milliseconds is filtered invalid_timestamp, not copied as fresh", async () => {
    const leader = randomAddress();
    await insertWallet(leader);
    const spy = await spyActor(leader);
    const m = randomAddress();
    const buy = buildSwapTx({
      signature: fakeSignature(`age-ms-${m}`),
      wallet: leader,
      mint: m,
      side: "buy",
      quote_amount: 1,
      token_amount: 10_000,
      timestamp: Date.now(),
    });
    expect((await deliver([buy])).body.accepted).toBe(1);
    await settle(leader);
    expect(await signalBySignature(buy.signature)).toMatchObject({ filtered: 1, filter_reason: "invalid_timestamp" });
    expect(spy.enqueued).toHaveLength(0);
    expect(await signalsOf(m)).toHaveLength(1);
  });
});
