// Pure parts of a leader SELL's mirror-exit decision in the WalletActor.
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
