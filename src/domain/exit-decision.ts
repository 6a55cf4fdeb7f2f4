// Pure parts of a leader SELL's mirror-exit decision in the WalletActor.
import { classify } from "./classify";
import { HeliusTxSchema } from "./helius-tx";
import { buyBeforeSale, type ChainPoint } from "./leader-timeline";
import type { FilterReason } from "./signal-filters";
import { MAX_CLOCK_SKEW_SECONDS } from "./signal-filters";

/** The sale's time in seconds: a block time in the future is not trusted to order it, taken as made when received. */
export function saleTimeSeconds(blockTimeSeconds: number, receivedAtMs: number): number {
  return blockTimeSeconds * 1000 > receivedAtMs + MAX_CLOCK_SKEW_SECONDS * 1000
    ? Math.floor(receivedAtMs / 1000)
    : blockTimeSeconds;
}

/** A SELL with no position to mirror: it did its job if it cancelled in-flight entries, else nothing was there. */
export function nothingToMirror(cancelledEntries: number, walletActive: boolean): FilterReason | null {
  return cancelledEntries > 0 ? null : walletActive ? "no_open_position" : "inactive_wallet";
}

/**
 * What a leader's sale does to one row still in its inbox (delivered before the sale): `cancel` a BUY of the mint
 * made before it on chain; `own` a row this sale already cancelled (its earlier, interrupted decision); `keep`
 * anything else — another mint, not a BUY, made after the sale, cancelled by another sale, or unreadable.
 */
export function inboxRowOnSale(
  row: { payload: string; decision: string | null },
  address: string,
  mint: string,
  sale: ChainPoint,
  saleSignature: string,
): "cancel" | "own" | "keep" {
  const prior = row.decision ? (JSON.parse(row.decision) as { kind: string; by?: string }) : null;
  if (prior?.kind === "cancelled") return prior.by === saleSignature ? "own" : "keep";
  const parsed = HeliusTxSchema.safeParse(JSON.parse(row.payload));
  if (!parsed.success) return "keep";
  const bc = classify(parsed.data, address);
  if (bc.signal_type !== "buy" || bc.token_mint !== mint) return "keep";
  if (!buyBeforeSale({ slot: parsed.data.slot ?? null, block_time_ms: parsed.data.timestamp * 1000 }, sale))
    return "keep";
  return "cancel";
}
