import { describe, expect, it } from "vitest";
import { entryBeforeSale, isLeaderSaleNotice, leaderSaleKey, saleMoment } from "../src/domain/leader-sale";
import { failureVerdict } from "../src/domain/swap-failure";
import type { LeaderSaleNotice, SwapRequest } from "../src/domain/swap-order";

const notice = (over: Partial<LeaderSaleNotice> = {}): LeaderSaleNotice => ({
  leader_address: "Leader1",
  token_mint: "Mint1",
  slot: 100,
  block_time: 1_700_000_000,
  signal_id: null,
  ...over,
});

const entry = (over: Partial<SwapRequest> = {}): SwapRequest =>
  ({
    idempotency_key: "k",
    side: "buy",
    priority: "normal",
    mode: "simulation",
    token_mint: "Mint1",
    wallet_id: 1,
    reason: "copy_entry",
    ...over,
  }) as SwapRequest;

describe("leader sale decisions (src/domain/leader-sale.ts)", () => {
  it("refuses a notice without leader or mint", () => {
    expect(isLeaderSaleNotice(notice())).toBe(true);
    expect(isLeaderSaleNotice(null)).toBe(false);
    expect(isLeaderSaleNotice({ ...notice(), token_mint: 5 } as unknown as LeaderSaleNotice)).toBe(false);
    expect(isLeaderSaleNotice({ ...notice(), leader_address: undefined } as unknown as LeaderSaleNotice)).toBe(false);
  });

  it("places the sale in ms, unknown fields as null", () => {
    expect(saleMoment(notice())).toEqual({ slot: 100, block_time_ms: 1_700_000_000_000 });
    expect(saleMoment(notice({ slot: null, block_time: null }))).toEqual({ slot: null, block_time_ms: null });
  });

  it("keys the sale by its signal id first, then its signature", () => {
    expect(leaderSaleKey(notice({ signal_id: 7, signal_signature: "sig" }))).toBe(7);
    expect(leaderSaleKey(notice({ signal_signature: "sig" }))).toBe("sig");
    expect(leaderSaleKey(notice())).toBeNull();
  });

  it("cancels only entries copying a BUY made before the sale (a tie counts as before)", () => {
    const sale = saleMoment(notice());
    expect(entryBeforeSale(entry({ leader_slot: 99 }), sale)).toBe(true);
    expect(entryBeforeSale(entry({ leader_slot: 100, leader_block_time: 1_700_000_000 }), sale)).toBe(true);
    expect(entryBeforeSale(entry({ leader_slot: 101 }), sale)).toBe(false);
    // No slot on the entry: the block time (seconds, compared in ms) decides.
    expect(entryBeforeSale(entry({ leader_block_time: 1_700_000_001 }), sale)).toBe(false);
    expect(entryBeforeSale(entry({ leader_block_time: 1_699_999_999 }), sale)).toBe(true);
    // Nothing known: in doubt the copy follows the leader out.
    expect(entryBeforeSale(entry(), sale)).toBe(true);
  });
});

describe("failed execution verdict (src/domain/swap-failure.ts)", () => {
  it("retries with exponential backoff while attempts stay within max_swap_retries", () => {
    expect(failureVerdict(0, false, 3)).toEqual({ kind: "retry", attempts: 1, backoff_ms: 1000 });
    expect(failureVerdict(2, false, 3)).toEqual({ kind: "retry", attempts: 3, backoff_ms: 4000 });
  });

  it("dead-letters past max_swap_retries, and a permanent failure at once", () => {
    expect(failureVerdict(3, false, 3)).toEqual({ kind: "dead", attempts: 4 });
    expect(failureVerdict(0, true, 3)).toEqual({ kind: "dead", attempts: 1 });
    expect(failureVerdict(0, false, 0)).toEqual({ kind: "dead", attempts: 1 });
  });
});
