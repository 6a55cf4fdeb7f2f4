/**
 * Reference prices (issue 10). A price that values or sizes a trade (the SOL price that turns a leader's SOL
 * into USD, or sizes a simulated quote) may be seconds old; a price that fills an order or decides an exit
 * may not. A caller that asks with a maximum age gets the last upstream fetch while it is that recent,
 * without waiting for a round: the entry decision stops paying a coalescing window and an upstream call for
 * the SOL price on every BUY. Past half its age the price is refreshed behind, so a steady flow of BUYs never
 * finds it expired. Pure: the PriceFeed keeps the prices and the clock.
 */

/** How old a SOL price may be to value a leader's trade and size a copy (SOL moves well under 1% in 15 s). */
export const SOL_REFERENCE_MAX_AGE_MS = 15_000;
/** The most a caller may accept; beyond it a price is a fallback (price_max_age_seconds), not a reference. */
export const MAX_REFERENCE_AGE_MS = 300_000;

/** serve: answer from the last fetch; serve_and_refresh: answer and fetch again behind; ask: fetch now. */
export type ReferenceUse = "serve" | "serve_and_refresh" | "ask";

export function referenceUse(fetchedAtMs: number | undefined, now: number, maxAgeMs: number): ReferenceUse {
  if (fetchedAtMs === undefined) return "ask";
  const age = now - fetchedAtMs;
  // A fetch "in the future" (a clock set back) proves nothing about its age.
  if (age < 0 || age > maxAgeMs) return "ask";
  return age > maxAgeMs / 2 ? "serve_and_refresh" : "serve";
}

/** The `max_age_ms` of a price request, checked (another actor may send anything across RPC); null = none. */
export function checkedMaxAge(opts: unknown): number | null {
  if (opts === undefined || opts === null) return null;
  if (typeof opts !== "object") throw new TypeError("price request options must be an object");
  const v = (opts as { max_age_ms?: unknown }).max_age_ms;
  if (v === undefined) return null;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_REFERENCE_AGE_MS)
    throw new TypeError(`max_age_ms must be a number of milliseconds from 0 to ${MAX_REFERENCE_AGE_MS}`);
  return v;
}
