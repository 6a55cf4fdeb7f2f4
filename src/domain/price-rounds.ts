/**
 * Price polling rounds (DESIGN §4 "Adaptive polling", issue 10): N open positions polling their prices must
 * cost ⌈N/50⌉ Jupiter calls per round, although each position polls on its own alarm, so the polls of one
 * round arrive spread over seconds rather than together.
 *
 * A Jupiter call carries up to 50 ids whatever is asked; a round's call asked for k < 50 mints has free slots.
 * The PriceFeed fills them with the mints whose positions are due to poll next (predicted from each mint's
 * past requests), and answers those polls from that fetch while it is at most FRESH_MS old. Pure: the feed
 * keeps the state and the clock.
 */

/** A price fetched this recently is answered without a new upstream call (its real age is reported). */
export const FRESH_MS = 3_000;
/** A mint nobody asked about for this long is no longer polled: it leaves the tracked set. */
export const ACTIVE_MS = 10 * 60_000;
/** Two requests closer than this are one poll asked twice, not a polling interval. */
const MIN_INTERVAL_MS = 1_000;
/** Tracked mints at most (memory stays bounded whatever the callers do); the least recent go first. */
export const MAX_TRACKED = 20_000;

/** What the feed remembers of a mint's requests. */
export interface MintPolls {
  last_request_ms: number;
  /** Time between its last two requests, null until seen twice. */
  interval_ms: number | null;
}

/** Records a request for a mint at `now`; returns the new record. */
export function recordRequest(prev: MintPolls | undefined, now: number): MintPolls {
  if (!prev) return { last_request_ms: now, interval_ms: null };
  const gap = now - prev.last_request_ms;
  if (gap < MIN_INTERVAL_MS) return prev;
  return { last_request_ms: now, interval_ms: gap };
}

/** An upstream fetch recent enough to answer a poll with: fetched no longer than FRESH_MS ago. */
export function isFresh(fetched_at_ms: number | undefined, now: number): boolean {
  return fetched_at_ms !== undefined && now - fetched_at_ms >= 0 && now - fetched_at_ms <= FRESH_MS;
}

/** Free ids in the calls a round of `asked` mints costs (⌈asked/perCall⌉ calls of `perCall` ids). */
export function freeSlots(asked: number, perCall: number): number {
  if (asked <= 0) return 0;
  return Math.ceil(asked / perCall) * perCall - asked;
}

/**
 * The mints to add to a round's calls, at most `slots`: tracked mints predicted to be asked within FRESH_MS
 * from now (or that were, at most FRESH_MS ago and not yet), soonest first, leaving out those asked in the
 * round, already fresh, or in flight. A mint seen once is predicted at `defaultIntervalMs` (the shortest poll).
 */
export function piggybackMints(input: {
  tracked: ReadonlyMap<string, MintPolls>;
  fetchedAt: (mint: string) => number | undefined;
  exclude: ReadonlySet<string>;
  now: number;
  slots: number;
  defaultIntervalMs: number;
}): string[] {
  if (input.slots <= 0) return [];
  const due: { mint: string; at: number }[] = [];
  for (const [mint, p] of input.tracked) {
    if (input.exclude.has(mint) || isFresh(input.fetchedAt(mint), input.now)) continue;
    const at = p.last_request_ms + (p.interval_ms ?? input.defaultIntervalMs);
    if (at >= input.now - FRESH_MS && at <= input.now + FRESH_MS) due.push({ mint, at });
  }
  due.sort((a, b) => a.at - b.at || (a.mint < b.mint ? -1 : a.mint > b.mint ? 1 : 0));
  return due.slice(0, input.slots).map((d) => d.mint);
}

/** Drops mints not asked for ACTIVE_MS, then the least recently asked beyond `max`. In place; returns them. */
export function pruneTracked(tracked: Map<string, MintPolls>, now: number, max = MAX_TRACKED): string[] {
  const dropped: string[] = [];
  for (const [mint, p] of tracked)
    if (now - p.last_request_ms > ACTIVE_MS) {
      tracked.delete(mint);
      dropped.push(mint);
    }
  if (tracked.size <= max) return dropped;
  const byAge = [...tracked].sort((a, b) => a[1].last_request_ms - b[1].last_request_ms);
  for (const [mint] of byAge.slice(0, tracked.size - max)) {
    tracked.delete(mint);
    dropped.push(mint);
  }
  return dropped;
}

/**
 * When a new poller (a position just opened, polling every `intervalMs`) should poll first so that it joins
 * the round instead of costing a call of its own: the start of the densest FRESH_MS window of the tracked
 * mints' predicted polls within (now, now + intervalMs] — the earliest on a tie. Null when no poll is
 * predicted then (no round to join: the poller keeps its own interval).
 */
export function roundSlot(input: {
  tracked: ReadonlyMap<string, MintPolls>;
  now: number;
  intervalMs: number;
  defaultIntervalMs: number;
  exclude?: string;
}): number | null {
  const times: number[] = [];
  for (const [mint, p] of input.tracked) {
    if (mint === input.exclude) continue;
    const at = p.last_request_ms + (p.interval_ms ?? input.defaultIntervalMs);
    if (at > input.now && at <= input.now + input.intervalMs) times.push(at);
  }
  if (times.length === 0) return null;
  times.sort((a, b) => a - b);
  let best = times[0] as number;
  let bestCount = 0;
  let end = 0;
  for (let i = 0; i < times.length; i++) {
    const start = times[i] as number;
    if (end < i) end = i;
    while (end + 1 < times.length && (times[end + 1] as number) <= start + FRESH_MS) end++;
    if (end - i + 1 > bestCount) {
      bestCount = end - i + 1;
      best = start;
    }
  }
  return best;
}
