/**
 * Rules of executing scheduled fundings (issue 15). A due funding is a SOL transfer from the configured
 * funding wallet; it is signed, its signature stored, then sent, and settled by signature status. These
 * functions decide; src/jobs/funding-execution.ts does the I/O around them.
 */
import { solToLamports } from "./portfolio";

export interface DueFunding {
  amount_sol: number;
  source_wallet: string | null;
  wallet_status: string | null;
}

export interface FundingSettings {
  enabled: boolean;
  max_transfer_sol: number;
  /** Address of the configured funding wallet, null when no key is configured. */
  funding_wallet: string | null;
}

export type DueAction =
  | { kind: "skip"; reason: string }
  | { kind: "refuse"; reason: string }
  | { kind: "execute"; lamports: bigint };

/**
 * Whether a due funding may be executed now. Switched off or no key: it stays scheduled (nothing is
 * decided for the operator). Above the cap, to an archived or removed wallet, or from another source
 * wallet: refused for good (status failed with the reason), never sent.
 */
export function dueFundingAction(f: DueFunding, s: FundingSettings): DueAction {
  if (!s.enabled) return { kind: "skip", reason: "funding_execution_enabled is off" };
  if (!s.funding_wallet) return { kind: "skip", reason: "FUNDING_WALLET_PRIVATE_KEY is not configured" };
  if (f.amount_sol > s.max_transfer_sol)
    return {
      kind: "refuse",
      reason: `amount ${f.amount_sol} SOL is above max_funding_transfer_sol (${s.max_transfer_sol} SOL); not sent`,
    };
  if (f.wallet_status === null) return { kind: "refuse", reason: "the wallet is no longer in the portfolio; not sent" };
  if (f.wallet_status === "ARCHIVED") return { kind: "refuse", reason: "the wallet is archived; not sent" };
  if (f.source_wallet && f.source_wallet !== s.funding_wallet)
    return {
      kind: "refuse",
      reason: `source_wallet ${f.source_wallet} is not the configured funding wallet ${s.funding_wallet}; not sent`,
    };
  const lamports = solToLamports(f.amount_sol);
  if (lamports <= 0n) return { kind: "refuse", reason: "amount rounds to 0 lamports; not sent" };
  return { kind: "execute", lamports };
}

export interface ChainStatus {
  confirmation_status: "processed" | "confirmed" | "finalized" | null;
  err: unknown;
}

export type SettleAction =
  | { kind: "executed" }
  | { kind: "failed"; reason: string }
  | { kind: "rebroadcast" }
  | { kind: "wait" };

/**
 * What to do with a submitted funding given its signature status. Confirmed without error: executed.
 * Landed with an error: failed (it can never succeed). Unknown to the cluster: while its blockhash is
 * valid the SAME signed bytes are sent again (a crash may have come before the send; one signature lands
 * at most once, so this can never pay twice); once the blockhash expired it can never land: failed,
 * nothing was transferred. `heightNow` null = unknown height: wait.
 */
export function settleAction(
  status: ChainStatus | null,
  heightNow: number | null,
  lastValidBlockHeight: number | null,
  mayRebroadcast: boolean,
): SettleAction {
  if (status) {
    if (status.err != null)
      return {
        kind: "failed",
        reason: `the transfer failed on chain: ${JSON.stringify(status.err, (_k, x) => (typeof x === "bigint" ? Number(x) : x))}`,
      };
    if (status.confirmation_status === "confirmed" || status.confirmation_status === "finalized")
      return { kind: "executed" };
    return { kind: "wait" };
  }
  if (heightNow === null || lastValidBlockHeight === null) return { kind: "wait" };
  if (heightNow > lastValidBlockHeight)
    return { kind: "failed", reason: "the transfer never landed and its blockhash expired; nothing was transferred" };
  return mayRebroadcast ? { kind: "rebroadcast" } : { kind: "wait" };
}
