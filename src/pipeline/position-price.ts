import type { PriceQuote } from "../domain/price";
import { log } from "../lib/logger";

/** The PriceFeed's quote for one mint (null: no source has it now). */
export async function currentQuote(env: Pick<Env, "PRICE_FEED">, mint: string): Promise<PriceQuote | null> {
  return (await env.PRICE_FEED.getByName("default").getPrices([mint]))[mint] ?? null;
}

/**
 * The first poll joins the PriceFeed's round (its next polls, if due within the urgent interval), so it is
 * answered from the round's Jupiter calls rather than one of its own; a feed that cannot answer leaves the
 * plain urgent interval.
 */
export async function firstPollDelay(
  env: Pick<Env, "PRICE_FEED">,
  mint: string,
  urgentSeconds: number,
): Promise<number> {
  const full = urgentSeconds * 1000;
  try {
    const { delay_ms } = await env.PRICE_FEED.getByName("default").joinRound(mint, full);
    return Number.isFinite(delay_ms) && delay_ms > 0 && delay_ms <= full ? delay_ms : full;
  } catch (err) {
    log.warn("position_round_join_failed", { mint, error: String(err) });
    return full;
  }
}
