/**
 * Exposure: the USD still at risk in the book (DESIGN §4 caps on open positions and total exposure). One
 * definition for both checks — the WalletActor's early one and the SwapQueue's authoritative one at execution —
 * so that an entry the first lets through is judged by the same number by the second, and a partly sold
 * position counts only the cost of what remains (a partial exit frees its share of the cost).
 */
export interface ExposedPosition {
  entry_cost_usd: number;
  /** Base units bought (integer text). */
  entry_amount: string;
  /** Base units still held (integer text). */
  current_amount: string;
}

const units = (s: string): bigint | null => (/^\d+$/.test(s) ? BigInt(s) : null);

/** Entry cost of what remains: cost × current / entry. Unreadable amounts count the full cost (never less risk). */
export function remainingCostUsd(p: ExposedPosition): number {
  const entry = units(p.entry_amount);
  const current = units(p.current_amount);
  if (!(p.entry_cost_usd > 0)) return 0;
  if (entry === null || current === null || entry <= 0n) return p.entry_cost_usd;
  if (current >= entry) return p.entry_cost_usd;
  // Both below 2^64: the float ratio keeps full precision for a USD figure.
  return (p.entry_cost_usd * Number(current)) / Number(entry);
}

/** Positions not closed, plus entries queued or executing (their requested USD), as the caps see them. */
export function bookExposure(
  open: readonly ExposedPosition[],
  queuedEntriesUsd: readonly number[] = [],
): { open_positions: number; exposure_usd: number } {
  const positionsUsd = open.reduce((s, p) => s + remainingCostUsd(p), 0);
  const queuedUsd = queuedEntriesUsd.reduce((s, u) => s + (u > 0 ? u : 0), 0);
  return { open_positions: open.length + queuedEntriesUsd.length, exposure_usd: positionsUsd + queuedUsd };
}
