import { describe, expect, it } from "vitest";
import { enqueueCancelReason, enqueueNeedsHotState, enqueueResult } from "../src/domain/enqueue-decision";
import {
  entryBeforeSale,
  isLeaderSaleNotice,
  leaderSaleKey,
  saleActionFor,
  saleMoment,
} from "../src/domain/leader-sale";
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

describe("a sale's action on one of its entries (saleActionFor)", () => {
  it("keeps filled or started orders in flight, cancels pending ones, reports an executor's earlier cancel", () => {
    expect(saleActionFor({ state: "done", last_error: null }, false)).toBe("in_flight");
    expect(saleActionFor({ state: "pending", last_error: null }, true)).toBe("in_flight");
    expect(saleActionFor({ state: "pending", last_error: "price unavailable" }, false)).toBe("cancel");
    expect(saleActionFor({ state: "cancelled", last_error: "leader_exited" }, false)).toBe("already_cancelled");
    expect(saleActionFor({ state: "cancelled", last_error: "stale_signal" }, false)).toBe("none");
    expect(saleActionFor({ state: "dead", last_error: "boom" }, false)).toBe("none");
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

describe("enqueue decisions (src/domain/enqueue-decision.ts)", () => {
  const NOW = 1_700_000_100_000;
  const closed = { breaker: { open: false }, config: { max_signal_age_seconds: 60 } };

  it("needs the hot state only for a NORMAL order or a dated entry", () => {
    expect(enqueueNeedsHotState(entry())).toBe(true);
    expect(enqueueNeedsHotState(entry({ priority: "critical", side: "sell" }))).toBe(false);
    expect(enqueueNeedsHotState(entry({ priority: "urgent", side: "sell", leader_block_time: 1 }))).toBe(false);
    expect(enqueueNeedsHotState(entry({ priority: "low", leader_block_time: 1_700_000_000 }))).toBe(true);
  });

  it("cancels NORMAL orders while the breaker is open, before any age check; exits pass", () => {
    const open = { ...closed, breaker: { open: true } };
    expect(enqueueCancelReason(entry({ leader_block_time: 1 }), open, NOW)).toBe("circuit_breaker");
    expect(enqueueCancelReason(entry({ priority: "critical", side: "sell" }), open, NOW)).toBeNull();
    expect(enqueueCancelReason(entry(), closed, NOW)).toBeNull();
  });

  it("refuses an entry already too old or dated in the future, as at execution", () => {
    expect(enqueueCancelReason(entry({ leader_block_time: 1_700_000_090 }), closed, NOW)).toBeNull();
    expect(enqueueCancelReason(entry({ leader_block_time: 1_700_000_000 }), closed, NOW)).toBe("stale_signal");
    expect(enqueueCancelReason(entry({ leader_block_time: 1_800_000_000 }), closed, NOW)).toBe("invalid_timestamp");
    // A SELL's block time is not an entry's age.
    expect(enqueueCancelReason(entry({ side: "sell", leader_block_time: 1 }), closed, NOW)).toBeNull();
  });

  it("answers the order's state, with the cancel reason only for a cancelled one", () => {
    expect(enqueueResult({ order_id: "o1", state: "pending", last_error: "price unavailable" }, false)).toEqual({
      order_id: "o1",
      status: "pending",
      duplicate: false,
      queue_state: "pending",
    });
    expect(enqueueResult({ order_id: "o2", state: "cancelled", last_error: "stale_signal" }, true)).toEqual({
      order_id: "o2",
      status: "cancelled",
      duplicate: true,
      cancel_reason: "stale_signal",
      queue_state: "cancelled",
    });
    expect(enqueueResult({ order_id: "o3", state: "done", last_error: null }, true)).toMatchObject({
      status: "pending",
      queue_state: "done",
    });
  });
});
