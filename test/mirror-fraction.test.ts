/**
 * Issue 9 item 9: the mirror fraction comes from the leader's holdings in chain order (slot, then block time),
 * not in the order we recorded its trades, and a leader left holding nothing — shown by the transaction (its
 * token account closed) or by the chain — means a full exit. The WalletActor is real; its PositionActor calls
 * are observed through the spy.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { holdingBefore, mirrorFraction } from "../src/domain/leader-timeline";
import { randomAddress } from "./helpers/addresses";
import { setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";
import { deliver, insertWallet, settle, signalBySignature, spyActor } from "./helpers/wallet-actor";

const nowS = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  await fake.reset();
  await setConfig({ safety_check_enabled: false, max_open_positions: 1000, max_total_exposure_usd: 1e9 });
});

/** A watched leader with an open position copied from it in `mint`, and a builder of its trades. */
async function leaderWithPosition(tag: string) {
  const leader = randomAddress();
  await insertWallet(leader);
  const spy = await spyActor(leader);
  const mint = randomAddress();
  await env.DB.prepare(
    `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status,
      entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
     VALUES (?, ?, ?, 6, 'simulation', 'open', 0.001, '1000000', 1, '1000000', ?)`,
  )
    .bind(`pos-${tag}-${mint}`, leader, mint, new Date().toISOString())
    .run();
  const t = nowS();
  const trade = (side: "buy" | "sell", tokens: number, dt: number, slot: number, extra: object = {}) =>
    buildSwapTx({
      signature: fakeSignature(`${tag}-${side}-${slot}-${mint}`),
      wallet: leader,
      mint,
      side,
      quote_amount: 0.1,
      token_amount: tokens,
      timestamp: t + dt,
      slot,
      ...extra,
    });
  return { leader, mint, spy, trade };
}

describe("mirror fraction (pure)", () => {
  it("sums the history in chain order and trusts a zero balance after the sale", () => {
    const h = [
      { type: "buy" as const, amount: "1000", slot: 100, block_time_ms: 1000, seq: 1 },
      { type: "buy" as const, amount: "1000", slot: 300, block_time_ms: 3000, seq: 2 }, // after the sale
    ];
    expect(holdingBefore(h, { slot: 200, block_time_ms: 2000, seq: 3 })).toBe(1000n);
    expect(holdingBefore(h, { slot: null, block_time_ms: 2000, seq: 3 })).toBe(1000n); // time when no slot
    const base = { sold: 700n, history_before: 1000n, emptied_in_tx: false };
    expect(mirrorFraction({ ...base, chain_after: null }).fraction).toBeCloseTo(0.7, 12);
    expect(mirrorFraction({ ...base, chain_after: 0n })).toEqual({ fraction: 1, before: 700n });
    expect(mirrorFraction({ ...base, chain_after: null, emptied_in_tx: true }).fraction).toBe(1);
    expect(mirrorFraction({ ...base, chain_after: 300n }).fraction).toBeCloseTo(0.7, 12); // min(1000, 1000)
    expect(mirrorFraction({ ...base, chain_after: 5000n }).fraction).toBeCloseTo(0.7, 12); // a later re-buy
    expect(mirrorFraction({ sold: null, history_before: 0n, chain_after: null, emptied_in_tx: false }).fraction).toBe(
      1,
    );
  });
});

describe("WalletActor: the fraction the leader sold", () => {
  it("a SELL delivered late gets the right fraction: the holding before it in chain order, not in recording order", async () => {
    const { leader, spy, trade } = await leaderWithPosition("late");
    // On chain: buy 1000 (slot 100) → sell 1000 (slot 200) → buy 1000 again (slot 300).
    // Delivered: the two buys, then the sale.
    await deliver([trade("buy", 1000, -30, 100)]);
    await settle(leader);
    await deliver([trade("buy", 1000, -10, 300)]);
    await settle(leader);
    const sell = trade("sell", 1000, -20, 200);
    await deliver([sell]);
    await settle(leader);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([1]);
    expect(await signalBySignature(sell.signature)).toMatchObject({ leader_balance_before: "1000000000" });
  });

  it("after one undelivered partial SELL, the final full exit shown by the transaction is mirrored at 100 %", async () => {
    const { leader, spy, trade } = await leaderWithPosition("closed-ata");
    await fake.fail("rpc.getTokenAccountsByOwner", { status: 503 }); // the chain cannot be read: the tx alone tells
    await deliver([trade("buy", 1000, -30, 100)]);
    await settle(leader);
    // the leader sells 300 (never delivered), then the remaining 700, closing its token account
    const last = trade("sell", 700, -10, 300, { token_balance_after: 0 });
    await deliver([last]);
    await settle(leader);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([1]);
    expect(await signalBySignature(last.signature)).toMatchObject({ leader_balance_before: "700000000" });
  });

  it("after one undelivered partial SELL, the final full exit shown by the chain is mirrored at 100 %", async () => {
    const { leader, mint, spy, trade } = await leaderWithPosition("chain-zero");
    await deliver([trade("buy", 1000, -30, 100)]);
    await settle(leader);
    await fake.wallet({ address: leader, token_accounts: [{ mint, amount: "0", decimals: 6 }] });
    const last = trade("sell", 700, -10, 300); // the account stays open, empty
    await deliver([last]);
    await settle(leader);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([1]);
  });

  it("after one undelivered partial SELL, a later partial SELL is measured against what the chain shows", async () => {
    const { leader, mint, spy, trade } = await leaderWithPosition("chain-partial");
    await deliver([trade("buy", 1000, -30, 100)]);
    await settle(leader);
    // 300 sold undelivered, 400 sold now: 300 left on chain, so 400 of the 700 held before
    await fake.wallet({ address: leader, token_accounts: [{ mint, amount: "300000000", decimals: 6 }] });
    const s = trade("sell", 400, -10, 300);
    await deliver([s]);
    await settle(leader);
    expect(spy.exits.map((e) => e.req.fraction)).toEqual([400 / 700]);
    expect(await signalBySignature(s.signature)).toMatchObject({ leader_balance_before: "700000000" });
  });
});
