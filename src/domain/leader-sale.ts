import { buyBeforeSale, type ChainPoint } from "./leader-timeline";
import type { LeaderSaleNotice, SwapRequest } from "./swap-order";

/** A notice's unchecked shape is refused before anything is marked (it comes over RPC). */
export function isLeaderSaleNotice(notice: LeaderSaleNotice | null | undefined): notice is LeaderSaleNotice {
  return !!notice && typeof notice.leader_address === "string" && typeof notice.token_mint === "string";
}

/** Where the sale sits on the chain (block time in ms); a field the notice lacks is unknown, not zero. */
export function saleMoment(notice: LeaderSaleNotice): ChainPoint {
  return {
    slot: typeof notice.slot === "number" ? notice.slot : null,
    block_time_ms: typeof notice.block_time === "number" ? notice.block_time * 1000 : null,
  };
}

/**
 * The sale's key in leader_exits.signal_id: its signal id for a SELL recorded by an older version (the marks
 * it wrote), its signature from this version on (no id before the decision).
 */
export function leaderSaleKey(notice: LeaderSaleNotice): number | string | null {
  return notice.signal_id ?? notice.signal_signature ?? null;
}

/** Whether an entry copies a leader BUY made before the sale (only those are the sale's to cancel). */
export function entryBeforeSale(req: SwapRequest, sale: ChainPoint): boolean {
  const at = {
    slot: req.leader_slot ?? null,
    block_time_ms: req.leader_block_time !== undefined ? req.leader_block_time * 1000 : null,
  };
  return buyBeforeSale(at, sale);
}

/**
 * What a sale does to one of its entries, judged from the queue's state of it after the mark (the queue's own
 * state is the truth of a fill, its D1 row may still be owed). `started`: executing now, or a live order the
 * executor started (its signature may land).
 * - `in_flight`: filled or started, never cancelled here; its position is owed the mirror exit.
 * - `cancel`: still pending, cancelled now.
 * - `already_cancelled`: the executor reached it first and honoured the mark.
 * - `none`: anything else (dead, or cancelled for another reason).
 */
export type SaleAction = "in_flight" | "cancel" | "already_cancelled" | "none";

export function saleActionFor(now: { state: string; last_error: string | null }, started: boolean): SaleAction {
  if (now.state === "done" || started) return "in_flight";
  if (now.state === "pending") return "cancel";
  if (now.state === "cancelled" && now.last_error === "leader_exited") return "already_cancelled";
  return "none";
}
