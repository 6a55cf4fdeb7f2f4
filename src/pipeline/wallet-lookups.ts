// The WalletActor's reads of other services on its decisions' path: the SOL reference price (PriceFeed) and a
// leader's token balance (Solana RPC). The actor's own methods delegate here (tests patch them on the instance).
import { WSOL_MINT } from "../domain/price";
import { SOL_REFERENCE_MAX_AGE_MS } from "../domain/reference-price";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { getTokenAccounts, TOKEN_PROGRAMS } from "../upstream/solana-rpc";

/** The SOL price in USD, or null: a price failure never loses the signal (PriceFeed may be down). */
export async function solReferencePrice(env: Env): Promise<number | null> {
  try {
    // A reference price: seconds old is fine to value and size a trade, and the decision does not wait for it.
    const prices = await env.PRICE_FEED.getByName("default").getPrices([WSOL_MINT], {
      max_age_ms: SOL_REFERENCE_MAX_AGE_MS,
    });
    const p = prices[WSOL_MINT]?.price_usd;
    return typeof p === "number" && p > 0 ? p : null;
  } catch (err) {
    log.warn("sol_price_unavailable", { error: errorMessage(err) });
    return null;
  }
}

/** The leader's current balance of a mint (base units, both token programs). */
export async function leaderTokenBalanceOf(env: Env, owner: string, mint: string): Promise<bigint> {
  const lists = await Promise.all(TOKEN_PROGRAMS.map((p) => getTokenAccounts(env, owner, p)));
  return lists.flat().reduce((s, a) => (a.mint === mint ? s + BigInt(a.amount) : s), 0n);
}
