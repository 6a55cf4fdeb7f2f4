/** A price as PriceFeed serves it: where it came from and how old it is (DESIGN §4 "Adaptive polling"). */
export type PriceSource = "jupiter" | "dexscreener" | "last_known";

export interface PriceQuote {
  mint: string;
  price_usd: number;
  source: PriceSource;
  /** When the upstream answered this price (ISO). */
  observed_at: string;
  age_seconds: number;
}

/** PriceFeed.getPrices answer: a quote per asked mint, or null = "price unavailable". */
export type PriceMap = Record<string, PriceQuote | null>;

export const WSOL_MINT = "So11111111111111111111111111111111111111112";
export const USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
export const USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
