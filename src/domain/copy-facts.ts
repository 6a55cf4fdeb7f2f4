import { buyBeforeSale, type ChainPoint } from "./leader-timeline";
import { MAX_CLOCK_SKEW_SECONDS } from "./signal-filters";

/**
 * The copy rules' facts from a WalletActor's own state (issue 10): what its log of the leader's trades and the
 * SwapQueue's book say, combined by these pure rules (the actor only gathers them).
 */

/** A leader SELL as logged: its chain point and when it was received. */
export interface LoggedSale {
  signature: string;
  slot: number | null;
  block_time_ms: number | null;
  received_ms: number;
}

/**
 * The first SELL made at or after `buy` on chain (a late or out-of-order BUY: leader_already_sold), or null.
 * A sale dated in the future (bad timestamp) counts as made when received, as the exit decision takes it: it
 * must not block every later BUY of the mint.
 */
export function saleAfterBuy(sales: readonly LoggedSale[], buy: ChainPoint): string | null {
  const hit = sales.find((x) => {
    const t = x.block_time_ms;
    const at = t !== null && t > x.received_ms + MAX_CLOCK_SKEW_SECONDS * 1000 ? x.received_ms : t;
    return buyBeforeSale(buy, { slot: x.slot, block_time_ms: at });
  });
  return hit?.signature ?? null;
}

/**
 * The leader's first entry in the mint that still counts (re-buy sizing, buy-once): an entry decided whose order
 * did not end without buying (cancelled, dead). An entry still being enqueued, or whose order the queue does not
 * know, counts — a second BUY must not slip in while the first is in flight. Entries in decision order.
 */
export function firstLiveEntry<E extends { entry_usd: number | null; order_id: string | null }>(
  entries: readonly E[],
  orderStates: Readonly<Record<string, string | null>>,
): E | null {
  return (
    entries.find((e) => {
      if (e.entry_usd === null) return false;
      const state = e.order_id ? orderStates[e.order_id] : null;
      return state !== "cancelled" && state !== "dead";
    }) ?? null
  );
}

/**
 * Whether the mint's cooldown window reaches closes the book never saw: closes before it recorded close times,
 * or a close of a position of unknown origin (opened before the book) inside the window. Then the last exit
 * must come from the history (D1) instead.
 */
export function cooldownNeedsHistory(
  book: { closes_known_since_ms: number; unknown_close_at_ms: number | null },
  nowMs: number,
  cooldownSeconds: number,
): boolean {
  const since = nowMs - cooldownSeconds * 1000;
  return book.closes_known_since_ms > since || (book.unknown_close_at_ms !== null && book.unknown_close_at_ms > since);
}
