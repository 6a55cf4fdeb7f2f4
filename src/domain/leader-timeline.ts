import type { HeliusTx } from "./helius-tx";

/**
 * A leader's trades in chain order (issue 9, DESIGN §4): deliveries arrive late, twice or out of order (a
 * webhook retry, the backfill), so "before" and "after" between a leader's BUY and SELL come from the chain —
 * the slot, then the block timestamp — never from the order in which we recorded them.
 */
export interface ChainPoint {
  /** Solana slot; null when unknown. */
  slot: number | null;
  /** Block time in ms; null when unknown. */
  block_time_ms: number | null;
}

/** <0: a before b, >0: a after b, 0: the chain does not tell (same slot and time, or nothing known). */
export function compareChain(a: ChainPoint, b: ChainPoint): number {
  if (a.slot != null && b.slot != null && a.slot !== b.slot) return a.slot - b.slot;
  if (a.block_time_ms != null && b.block_time_ms != null && a.block_time_ms !== b.block_time_ms)
    return a.block_time_ms - b.block_time_ms;
  return 0;
}

/**
 * Whether a leader's BUY counts as made before its SELL. A tie (same slot and second, or unknown) counts as
 * before: the sale may have sold those very tokens, and in doubt our copy must follow the leader out.
 */
export const buyBeforeSale = (buy: ChainPoint, sale: ChainPoint): boolean => compareChain(buy, sale) <= 0;

export interface LeaderTrade extends ChainPoint {
  type: "buy" | "sell";
  /** Base units (integer text); null or unreadable when unknown (ignored). */
  amount: string | null;
  /** Recording order, the last tie-break between trades the chain cannot order. */
  seq: number;
}

/** The leader's holding just before `sale`, from its trades that precede it in chain order (never below 0). */
export function holdingBefore(history: readonly LeaderTrade[], sale: ChainPoint & { seq: number }): bigint {
  let held = 0n;
  const ordered = [...history].sort((a, b) => compareChain(a, b) || a.seq - b.seq);
  for (const h of ordered) {
    const c = compareChain(h, sale);
    if (c > 0 || (c === 0 && h.seq > sale.seq)) continue;
    if (!h.amount || !/^\d+$/.test(h.amount)) continue;
    held += h.type === "buy" ? BigInt(h.amount) : -BigInt(h.amount);
    if (held < 0n) held = 0n; // a sale of tokens held from before we watched
  }
  return held;
}

/**
 * Whether the sale's own transaction shows the leader left holding nothing: the leader's token account of the
 * mint was closed in it (its rent lamports left the account — Helius enhanced payloads carry balance changes,
 * not balances, and a sell-everything typically closes the account in the same transaction).
 */
export function leaderEmptiedInTx(tx: HeliusTx, leader: string, mint: string): boolean {
  return (tx.accountData ?? []).some(
    (a) =>
      (a.nativeBalanceChange ?? 0) < 0 &&
      a.account !== leader &&
      (a.tokenBalanceChanges ?? []).some((b) => b.userAccount === leader && b.mint === mint),
  );
}

export interface MirrorFractionInput {
  /** Base units sold; null when unknown. */
  sold: bigint | null;
  /** The leader's holding before the sale from its recorded trades in chain order (0 when none). */
  history_before: bigint;
  /** The leader's balance read from the chain after the sale; null when not read or unreadable. */
  chain_after: bigint | null;
  /** The transaction itself shows the leader holding nothing after the sale. */
  emptied_in_tx: boolean;
}

/**
 * The share of its holding the leader sold (the mirror exit's fraction) and the denominator used.
 * - Left holding nothing (the transaction shows it, or the chain reads 0) → 1.
 * - Otherwise the holding before is the smaller of the recorded history (when it covers the sale) and the chain
 *   (balance after + sold): a sale we never received makes the history too large, a later re-buy makes the
 *   chain too large; the smaller one errs on the side of selling more, never holding after the leader left.
 * - Neither known → 1: in doubt the copy exits fully.
 */
export function mirrorFraction(i: MirrorFractionInput): { fraction: number; before: bigint | null } {
  const { sold } = i;
  if (sold === null || sold <= 0n) return { fraction: 1, before: null };
  const fromHistory = i.history_before >= sold ? i.history_before : null;
  const fromChain = i.chain_after !== null ? i.chain_after + sold : null;
  // Holding nothing after: it held exactly what it sold.
  if (i.emptied_in_tx || i.chain_after === 0n) return { fraction: 1, before: sold };
  const before =
    fromHistory !== null && fromChain !== null
      ? fromHistory < fromChain
        ? fromHistory
        : fromChain
      : (fromHistory ?? fromChain);
  if (before === null) return { fraction: 1, before: null };
  // Both below 2^64: the ratio keeps full float precision.
  return { fraction: sold >= before ? 1 : Number(sold) / Number(before), before };
}

/** Whether reading the chain can change the fraction the history gives (saves RPC calls when it cannot). */
export const chainMayMatter = (i: Omit<MirrorFractionInput, "chain_after">): boolean =>
  !i.emptied_in_tx && i.sold !== null && i.sold > 0n && i.history_before !== i.sold;
