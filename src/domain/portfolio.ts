/**
 * Pure rules of the portfolio of the operator's own wallets (DESIGN §5): the status rule, staleness,
 * aggregation of token accounts into holdings, and the per-part refresh outcome. No I/O here.
 */

export const PORTFOLIO_STATUSES = ["UNFUNDED", "FUNDED", "LAUNCHED", "ARCHIVED"] as const;
export type PortfolioStatus = (typeof PORTFOLIO_STATUSES)[number];

export const REFRESH_PARTS = ["balance", "holdings", "funding"] as const;
export type RefreshPart = (typeof REFRESH_PARTS)[number];

export const LAMPORTS_PER_SOL = 1_000_000_000n;

/** SOL (a decimal number, e.g. the 0.25 config threshold) to lamports, rounding to the nearest lamport. */
export const solToLamports = (sol: number): bigint => BigInt(Math.round(sol * 1e9));

/** Lamports to SOL for display; exact to the lamport for any real wallet balance (< 2^53 lamports). */
export const lamportsToSol = (lamports: bigint): number => Number(lamports) / 1e9;

export interface StatusInput {
  status: PortfolioStatus;
  launch_count: number;
  first_funded_at: string | null;
}

/**
 * The status after a balance reading. ARCHIVED is the operator's choice and never changes here;
 * a wallet with a launch is LAUNCHED; otherwise a balance at or above the threshold makes it FUNDED.
 * A funded wallet that later spends its SOL stays FUNDED: the status records that it was funded
 * (the seed's lifecycle UNFUNDED → FUNDED → LAUNCHED), the balance column says what it holds now.
 * `first_funded_at` is set the first time the threshold is reached, and only then.
 */
export function nextStatus(
  current: StatusInput,
  balanceLamports: bigint,
  thresholdSol: number,
  now: string,
): { status: PortfolioStatus; first_funded_at: string | null } {
  const funded = balanceLamports >= solToLamports(thresholdSol);
  const first_funded_at = current.first_funded_at ?? (funded ? now : null);
  if (current.status === "ARCHIVED") return { status: "ARCHIVED", first_funded_at };
  if (current.launch_count > 0 || current.status === "LAUNCHED") return { status: "LAUNCHED", first_funded_at };
  if (funded || current.status === "FUNDED") return { status: "FUNDED", first_funded_at };
  return { status: "UNFUNDED", first_funded_at };
}

/**
 * The lifecycle status a wallet has when it is not archived: LAUNCHED once it has a launch, FUNDED once it
 * was ever funded (first_funded_at set, or the balance at/above the threshold now), UNFUNDED otherwise.
 * The operator never picks this value; it only archives or unarchives (see operatorStatusChange).
 */
export function lifecycleStatus(
  w: { launch_count: number; first_funded_at: string | null; was_launched?: boolean },
  balanceLamports: bigint | null,
  thresholdSol: number,
): Exclude<PortfolioStatus, "ARCHIVED"> {
  if (w.launch_count > 0 || w.was_launched) return "LAUNCHED";
  if (w.first_funded_at || (balanceLamports !== null && balanceLamports >= solToLamports(thresholdSol)))
    return "FUNDED";
  return "UNFUNDED";
}

export type StatusChange =
  | { ok: true; status: PortfolioStatus; first_funded_at: string | null }
  | { ok: false; reason: string };

/**
 * What `PUT status` may do. ARCHIVED archives (a retired wallet stays retired through refreshes and
 * launches). Any other value unarchives, and must name the status the balance and lifecycle give: the
 * operator cannot declare a wallet FUNDED that never reached the threshold, nor UNFUNDED one that did.
 * Unarchiving into FUNDED sets first_funded_at if it was never set (exactly once, like a refresh).
 */
export function operatorStatusChange(
  current: StatusInput & { last_balance_lamports: string | null },
  requested: PortfolioStatus,
  thresholdSol: number,
  now: string,
): StatusChange {
  if (requested === "ARCHIVED") return { ok: true, status: "ARCHIVED", first_funded_at: current.first_funded_at };
  const balance = current.last_balance_lamports === null ? null : BigInt(current.last_balance_lamports);
  const derived = lifecycleStatus({ ...current, was_launched: current.status === "LAUNCHED" }, balance, thresholdSol);
  if (requested !== derived)
    return {
      ok: false,
      reason:
        `status: ${requested} contradicts the wallet's balance and lifecycle, which give ${derived} ` +
        `(FUNDED needs a balance of at least ${thresholdSol} SOL seen by a refresh, LAUNCHED a launch record); ` +
        "the operator may only archive (ARCHIVED) or unarchive into the derived status",
    };
  const first_funded_at = current.first_funded_at ?? (derived === "FUNDED" ? now : null);
  return { ok: true, status: derived, first_funded_at };
}

/** The status after a launch is recorded: LAUNCHED unless the operator archived the wallet. */
export const statusAfterLaunch = (current: PortfolioStatus): PortfolioStatus =>
  current === "ARCHIVED" ? "ARCHIVED" : "LAUNCHED";

export interface CacheStatus {
  cached_at: string | null;
  cache_age_seconds: number | null;
  is_stale: boolean;
}

/**
 * Cache status of data refreshed at `refreshedAt` (null = never): stale when never refreshed or
 * older than the freshness window. For data made of several parts, pass the OLDEST part time: the
 * wallet is only as fresh as its stalest part.
 */
export function cacheStatus(refreshedAt: string | null, staleSeconds: number, nowMs: number): CacheStatus {
  if (!refreshedAt) return { cached_at: null, cache_age_seconds: null, is_stale: true };
  const age = Math.max(0, Math.floor((nowMs - Date.parse(refreshedAt)) / 1000));
  return { cached_at: refreshedAt, cache_age_seconds: age, is_stale: age > staleSeconds };
}

/** An operator record as the cache sees it: a fact copied from the chain (a confirmation) or none. */
export interface RecordFreshness {
  /** True when part of the record comes from the chain (a launch's tx confirmation, a sent funding's status). */
  chain_backed: boolean;
  /** When that chain part was last looked up; null = never. */
  chain_checked_at: string | null;
  /** Last change of the record in D1. */
  changed_at: string;
}

/**
 * Cache status of a list of operator records. D1 is their source of truth, except for what comes from the
 * chain: the list is as old as its oldest chain lookup (stale past the window, never looked up = stale).
 * A list with no chain-backed record is D1's own data: as of its latest change, never stale.
 */
export function recordsCacheStatus(
  items: readonly RecordFreshness[],
  staleSeconds: number,
  nowMs: number,
): CacheStatus {
  const backed = items.filter((i) => i.chain_backed);
  if (backed.length > 0) return cacheStatus(oldest(backed.map((i) => i.chain_checked_at)), staleSeconds, nowMs);
  const latest = items.reduce<string | null>((m, i) => (m === null || i.changed_at > m ? i.changed_at : m), null);
  if (!latest) return { cached_at: null, cache_age_seconds: null, is_stale: false };
  return { ...cacheStatus(latest, Number.POSITIVE_INFINITY, nowMs), is_stale: false };
}

/** The oldest of several timestamps, or null as soon as one of them is missing (never refreshed). */
export function oldest(times: readonly (string | null | undefined)[]): string | null {
  let out: string | null = null;
  for (const t of times) {
    if (!t) return null;
    if (out === null || t < out) out = t;
  }
  return out;
}

export interface TokenAccountLike {
  mint: string;
  amount: string;
  decimals: number;
  token_program: string;
}

export interface Holding {
  mint_address: string;
  balance: string;
  decimals: number;
  token_program: string;
}

/**
 * Token accounts → one holding per mint: a wallet may hold several accounts of one mint (ATA plus
 * others), so amounts are summed (bigint, u64 text in and out). Empty accounts (kept open until
 * closed) are not holdings.
 */
export function aggregateHoldings(accounts: readonly TokenAccountLike[]): Holding[] {
  const byMint = new Map<string, Holding & { sum: bigint }>();
  for (const a of accounts) {
    const amount = BigInt(a.amount);
    const prev = byMint.get(a.mint);
    if (prev) prev.sum += amount;
    else
      byMint.set(a.mint, {
        mint_address: a.mint,
        balance: "",
        decimals: a.decimals,
        token_program: a.token_program,
        sum: amount,
      });
  }
  return [...byMint.values()]
    .filter((h) => h.sum > 0n)
    .map(({ sum, ...h }) => ({ ...h, balance: sum.toString() }))
    .sort((a, b) => a.mint_address.localeCompare(b.mint_address));
}

/** Base units → decimal text without floating point ("420000000000000", 6 → "420000000"). */
export function formatUnits(amount: string, decimals: number): string {
  const v = BigInt(amount);
  if (decimals === 0) return v.toString();
  const base = 10n ** BigInt(decimals);
  const whole = v / base;
  const frac = (v % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}

export type PartOutcome = { status: "ok"; refreshed_at: string } | { status: "failed"; message: string };

/**
 * HTTP status of a refresh: 200 when every part succeeded, 207 Multi-Status when some failed (the
 * body says which), 503 when none succeeded (the blockchain is unreachable; the body still carries
 * the cached data).
 */
export function refreshHttpStatus(outcomes: readonly PartOutcome[]): 200 | 207 | 503 {
  const failed = outcomes.filter((o) => o.status === "failed").length;
  if (failed === 0) return 200;
  return failed === outcomes.length ? 503 : 207;
}
