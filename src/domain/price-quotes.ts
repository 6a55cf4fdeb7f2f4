import type { PriceQuote, PriceSource } from "./price";

const iso = (ms: number) => new Date(ms).toISOString();

/** A price as an upstream round fetched it: its value, source and fetch time. */
export interface FetchedPrice {
  price_usd: number;
  source: PriceSource;
  at_ms: number;
}

/** A quote answered from an earlier upstream fetch, with its real observation time and age. */
export function quoteOfFetch(mint: string, f: FetchedPrice, now: number): PriceQuote {
  return {
    mint,
    price_usd: f.price_usd,
    source: f.source,
    observed_at: iso(f.at_ms),
    age_seconds: Math.floor((now - f.at_ms) / 1000),
  };
}

/** The fallback when no upstream priced a mint: its last known price, unless older than the config allows. */
export function lastKnownQuote(
  mint: string,
  last: { price_usd: number; observed_at_ms: number } | null,
  now: number,
  maxAgeSeconds: number,
): PriceQuote | null {
  if (!last) return null;
  const age = Math.max(0, Math.floor((now - last.observed_at_ms) / 1000));
  if (age > maxAgeSeconds) return null;
  return {
    mint,
    price_usd: last.price_usd,
    source: "last_known",
    observed_at: iso(last.observed_at_ms),
    age_seconds: age,
  };
}

/** The mints of a getPrices or readAhead call, checked (another actor may send anything across RPC). */
export function checkedMints(mints: unknown): string[] {
  if (!Array.isArray(mints) || mints.some((m) => typeof m !== "string" || m.length === 0 || m.length > 64))
    throw new TypeError("mints must be an array of non-empty mint addresses");
  return mints;
}
