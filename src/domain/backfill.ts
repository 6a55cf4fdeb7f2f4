/**
 * Backfill planning (DESIGN §1: Helius drops an event after a few quick retries; this recovers it). Plain data
 * in, decisions out; src/jobs/backfill.ts does the I/O.
 */

/** One on-chain signature of a watched wallet, as getSignaturesForAddress reports it (newest first). */
export interface ChainSignature {
  signature: string;
  /** Unix seconds, or null when the node does not know. */
  block_time: number | null;
  succeeded: boolean;
}

export interface BackfillPlan {
  /** Signatures looked at (everything newer than the cursor that the node returned). */
  checked: number;
  /** Failed on chain (no trade happened) or older than the wallet's watch start: never a signal. */
  skipped: number;
  /** Succeeded transactions with no signal yet, OLDEST FIRST (the actor processes in arrival order). */
  missing: string[];
  /**
   * The node returned a full page whose oldest signature is still within the watch: older unscanned ones may
   * exist below it, and they are not looked at (bounded work per run).
   */
  truncated: boolean;
}

/**
 * What to fetch: succeeded transactions with no signal yet, made while the wallet was watched. A transaction
 * from before the watch started never was due (adding a wallet must not import its history); one without a
 * block time is kept (cannot tell).
 */
export function planBackfill(
  sigs: readonly ChainSignature[],
  known: ReadonlySet<string>,
  watchedSinceMs: number,
  limit: number,
): BackfillPlan {
  // Block times are whole seconds: a transaction in the very second the wallet was added still counts.
  const watchedSince = Math.floor(watchedSinceMs / 1000);
  let skipped = 0;
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const s of sigs) {
    if (seen.has(s.signature)) continue;
    seen.add(s.signature);
    const beforeWatch = s.block_time !== null && s.block_time < watchedSince;
    if (!s.succeeded || beforeWatch) skipped++;
    else if (!known.has(s.signature)) missing.push(s.signature);
  }
  const oldest = sigs[sigs.length - 1];
  const truncated =
    sigs.length >= limit && oldest !== undefined && (oldest.block_time === null || oldest.block_time >= watchedSince);
  return { checked: seen.size, skipped, missing: missing.reverse(), truncated };
}

/**
 * The next cursor (`until` of the next run): the newest scanned signature such that it and everything older
 * that was scanned is resolved. A missing transaction that could not be recovered (Helius did not return it,
 * its actor was unreachable) holds the cursor just below itself, so the next run looks at it again; the ones
 * recovered meanwhile are signals by then and are not fetched twice. `null` = keep the current cursor.
 */
export function nextCursor(sigs: readonly ChainSignature[], unresolved: ReadonlySet<string>): string | null {
  // sigs are newest first: find the oldest unresolved one; the cursor is the signature just older than it.
  let oldestUnresolved = -1;
  sigs.forEach((s, i) => {
    if (unresolved.has(s.signature)) oldestUnresolved = i;
  });
  if (oldestUnresolved === -1) return sigs[0]?.signature ?? null;
  return sigs[oldestUnresolved + 1]?.signature ?? null;
}

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Which wallets this run scans when there are more than `max`: a window that rotates every run (`runIndex`,
 * e.g. the hour number), so every wallet is reached within ⌈n/max⌉ runs.
 */
export function rotate<T>(items: readonly T[], max: number, runIndex: number): T[] {
  if (items.length <= max) return [...items];
  const start = (runIndex * max) % items.length;
  return [...items.slice(start), ...items.slice(0, start)].slice(0, max);
}
