import { costBasisOf } from "./exit-rules";
import { USDC_MINT, USDT_MINT, WSOL_MINT } from "./price";
import type { ReconciliationFindingKind, WalletMode } from "./vocabulary";

/**
 * Reconciliation rules (issue 12): positions vs orders vs the trading wallet's real token holdings.
 * Pure: the job reads D1 and the chain, these functions decide what disagrees.
 *
 * Only live positions can be compared with holdings (a simulated position holds nothing on chain);
 * realized PnL vs the sum of fills is checked for every mode.
 */

/** Consecutive holdings snapshots without the tokens before a position is closed `sold_externally`. */
export const MISSING_OBSERVATIONS_TO_CLOSE = 2;
/**
 * A second observation counts only from a snapshot at least this long after the last counted one: a run
 * repeated minutes later (the API after the cron) asks the same RPC node the same question, and a node that
 * lags on a fresh entry would answer the same. The hourly cron is well past it.
 */
export const MISSING_OBSERVATION_GAP_MS = 10 * 60_000;
/** Realized PnL may differ from the sum of its fills by this much (float rounding of partial fills). */
export const PNL_TOLERANCE_USD = 0.01;
/** Quote and stable mints are the wallet's cash, never a position. */
export const CASH_MINTS: ReadonlySet<string> = new Set([WSOL_MINT, USDC_MINT, USDT_MINT]);

export interface LivePosition {
  id: string;
  token_mint: string;
  status: "open" | "closing" | "closed";
  current_amount: string;
  opened_at: string;
  closed_at?: string | null;
  /** An exit or entry order of this position is pending, executing or submitted (ours may explain a change). */
  order_in_flight: boolean;
}

export interface HeldToken {
  mint: string;
  balance: string;
}

export interface Finding {
  kind: ReconciliationFindingKind;
  subject: string;
  position_id: string | null;
  token_mint: string | null;
  mode: WalletMode | null;
  expected: string | null;
  actual: string | null;
  message: string;
  detail: Record<string, unknown>;
  /** What the run did about it: "closed_sold_externally" when it closed the position. */
  action?: "closed_sold_externally";
}

export interface HoldingsComparison {
  /** Mint-level findings (holding without position, amounts disagreeing). */
  findings: Finding[];
  /** Live open positions whose mint the wallet does not hold at all: one more missing observation each. */
  missing: LivePosition[];
  /** Positions whose tokens are held again (their missing count starts over). */
  present: string[];
  /** Alert subjects not judged this run (a change of ours in flight): neither raised nor resolved. */
  skipped_subjects: string[];
}

export const subjectOf = (kind: ReconciliationFindingKind, key: string) => `${kind}:${key}`;

/**
 * Compares live positions with a holdings snapshot. A mint is judged only when every live position in it is
 * open, opened before the snapshot and without an order in flight, and none was closed after the snapshot:
 * otherwise WallTrack's own trade may be what the snapshot shows, and the mint waits for the next run.
 */
export function compareHoldings(
  positions: readonly LivePosition[],
  holdings: readonly HeldToken[],
  snapshotAt: string,
  tolerancePercent: number,
): HoldingsComparison {
  const held = new Map<string, bigint>();
  for (const h of holdings) {
    if (!/^\d+$/.test(h.balance)) continue;
    held.set(h.mint, (held.get(h.mint) ?? 0n) + BigInt(h.balance));
  }
  const byMint = new Map<string, LivePosition[]>();
  for (const p of positions) {
    // A position closed after the snapshot was taken still held its tokens then: its mint waits a run.
    if (p.status === "closed" && !(p.closed_at && p.closed_at >= snapshotAt)) continue;
    byMint.set(p.token_mint, [...(byMint.get(p.token_mint) ?? []), p]);
  }
  const out: HoldingsComparison = { findings: [], missing: [], present: [], skipped_subjects: [] };

  for (const [mint, list] of byMint) {
    const judged = list.every((p) => p.status === "open" && !p.order_in_flight && p.opened_at < snapshotAt);
    if (!judged) {
      out.skipped_subjects.push(subjectOf("amount_mismatch", mint), subjectOf("holding_without_position", mint));
      for (const p of list) out.skipped_subjects.push(subjectOf("position_without_holding", p.id));
      continue;
    }
    const expected = list.reduce((s, p) => s + BigInt(p.current_amount), 0n);
    const actual = held.get(mint) ?? 0n;
    if (actual === 0n) {
      out.missing.push(...list.filter((p) => BigInt(p.current_amount) > 0n));
      continue;
    }
    out.present.push(...list.map((p) => p.id));
    if (amountsDisagree(expected, actual, tolerancePercent))
      out.findings.push({
        kind: "amount_mismatch",
        subject: subjectOf("amount_mismatch", mint),
        position_id: list.length === 1 ? (list[0]?.id ?? null) : null,
        token_mint: mint,
        mode: "live",
        expected: expected.toString(),
        actual: actual.toString(),
        message: `trading wallet holds ${actual} base units of ${mint}; its open live positions expect ${expected} (tolerance ${tolerancePercent} %)`,
        detail: { positions: list.map((p) => p.id), tolerance_percent: tolerancePercent },
      });
  }

  for (const [mint, amount] of held) {
    if (amount === 0n || CASH_MINTS.has(mint) || byMint.has(mint)) continue;
    out.findings.push({
      kind: "holding_without_position",
      subject: subjectOf("holding_without_position", mint),
      position_id: null,
      token_mint: mint,
      mode: "live",
      expected: "0",
      actual: amount.toString(),
      message: `trading wallet holds ${amount} base units of ${mint} and no live position is open in it`,
      detail: {},
    });
  }
  return out;
}

/** |actual − expected| above `tolerancePercent` of expected (any difference when expected is 0). */
export function amountsDisagree(expected: bigint, actual: bigint, tolerancePercent: number): boolean {
  const diff = actual > expected ? actual - expected : expected - actual;
  if (diff === 0n) return false;
  if (expected === 0n) return true;
  // Scaled by 10^6 to compare a fractional percent in integers (amounts exceed float precision).
  return diff * 100_000_000n > expected * BigInt(Math.round(tolerancePercent * 1_000_000));
}

export function missingFinding(p: LivePosition, observations: number, closed: boolean): Finding {
  return {
    kind: "position_without_holding",
    subject: subjectOf("position_without_holding", p.id),
    position_id: p.id,
    token_mint: p.token_mint,
    mode: "live",
    expected: p.current_amount,
    actual: "0",
    message: closed
      ? `trading wallet held no ${p.token_mint} on ${observations} consecutive runs: position ${p.id} closed as sold_externally`
      : `trading wallet holds no ${p.token_mint} for open position ${p.id} (observation ${observations} of ${MISSING_OBSERVATIONS_TO_CLOSE} before it is closed as sold_externally)`,
    detail: { observations, closes_at: MISSING_OBSERVATIONS_TO_CLOSE },
    ...(closed ? { action: "closed_sold_externally" as const } : {}),
  };
}

export interface PositionFills {
  id: string;
  token_mint: string;
  mode: WalletMode;
  entry_amount: string;
  entry_cost_usd: number;
  realized_pnl_usd: number;
  /** Filled sell orders of this position: tokens sold (base units) and USD received. */
  fills: { sold_amount: string; proceeds_usd: number }[];
}

/** Realized PnL expected from the fills: Σ (proceeds − cost basis of the amount sold). */
export function realizedFromFills(p: PositionFills): number {
  const entry = BigInt(p.entry_amount);
  let sum = 0;
  for (const f of p.fills) {
    if (!/^\d+$/.test(f.sold_amount)) continue;
    sum += f.proceeds_usd - costBasisOf(BigInt(f.sold_amount), entry, p.entry_cost_usd);
  }
  return sum;
}

export function pnlFinding(p: PositionFills): Finding | null {
  const expected = realizedFromFills(p);
  if (Math.abs(expected - p.realized_pnl_usd) <= PNL_TOLERANCE_USD + 1e-9 * Math.abs(expected)) return null;
  return {
    kind: "pnl_mismatch",
    subject: subjectOf("pnl_mismatch", p.id),
    position_id: p.id,
    token_mint: p.token_mint,
    mode: p.mode,
    expected: expected.toFixed(6),
    actual: p.realized_pnl_usd.toFixed(6),
    message: `position ${p.id} records realized PnL ${p.realized_pnl_usd.toFixed(2)} USD; its ${p.fills.length} filled sell order(s) give ${expected.toFixed(2)} USD`,
    detail: { fills: p.fills.length },
  };
}
