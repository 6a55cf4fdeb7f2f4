import { isBase58Address } from "./address";
import { type LiveReadiness, liveRefusals } from "./live-guard";

/**
 * A Solana address as the watchlist accepts it: base58 that decodes to exactly 32 bytes
 * (`isAddress` of @solana/kit decodes it; a regex alone would accept 31- or 33-byte strings).
 */
export const isSolanaAddress = (s: string): boolean => isBase58Address(s);

/** A path key is either a numeric id or a base58 address ("a wallet is also reachable by its address"). */
export function parseWalletKey(key: string): { id: number } | { address: string } | null {
  if (/^\d{1,15}$/.test(key)) return { id: Number(key) };
  return isSolanaAddress(key) ? { address: key } : null;
}

export interface WalletState {
  mode: "simulation" | "live";
  is_active: boolean;
}

/**
 * What an update of mode / activity implies. Switching to `live` needs a valid trading key and the master
 * switch on (a live wallet without them would accept signals it can never trade); each missing one is named. A (re-)activated or deactivated wallet must be
 * pushed to (or removed from) the Helius webhook again, so its sync status returns to `pending`.
 */
export function walletTransition(
  before: WalletState | null,
  after: WalletState,
  ctx: { live: LiveReadiness; now: string },
): { ok: false; reason: string } | { ok: true; resetSync: boolean; deactivated_at?: string | null } {
  const switchingToLive = after.mode === "live" && before?.mode !== "live";
  const refusals = switchingToLive ? liveRefusals(ctx.live) : [];
  if (refusals.length) return { ok: false, reason: refusals.join("; ") };
  if (!before) return { ok: true, resetSync: true, deactivated_at: after.is_active ? null : ctx.now };
  if (before.is_active === after.is_active) return { ok: true, resetSync: false };
  return { ok: true, resetSync: true, deactivated_at: after.is_active ? null : ctx.now };
}
