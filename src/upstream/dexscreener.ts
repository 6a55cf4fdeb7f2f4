import { z } from "zod";
import { fetchJson, joinUrl, pathSegment, timeoutFrom } from "./http";

/** DexScreener `GET /tokens/v1/solana/{a,b,…}`: a plain array of pairs, ≤ 30 addresses per call. */
export const DEX_MAX_PER_CALL = 30;

const PairSchema = z
  .object({
    chainId: z.string(),
    dexId: z.string().optional(),
    pairAddress: z.string(),
    baseToken: z.object({ address: z.string(), name: z.string().optional(), symbol: z.string().optional() }),
    quoteToken: z.object({ address: z.string(), name: z.string().optional(), symbol: z.string().optional() }),
    priceNative: z.string().optional(),
    priceUsd: z.string().optional(), // a decimal string; may be missing for fresh pairs
    liquidity: z.object({ usd: z.number().optional() }).partial().optional(), // may be missing
    pairCreatedAt: z.number().optional(), // epoch ms
    fdv: z.number().optional(),
    marketCap: z.number().optional(),
  })
  .loose();
const PairsSchema = z.array(PairSchema);

export type DexPair = z.infer<typeof PairSchema>;

/** The most liquid pair whose base token is the mint, reduced to what WallTrack uses. */
export interface DexTokenInfo {
  mint: string;
  name: string | null;
  symbol: string | null;
  price_usd: number | null;
  liquidity_usd: number | null;
  pair_created_at: number | null; // epoch ms
  pair_address: string;
  dex_name: string | null; // DexScreener's dexId (raydium, pumpswap, meteora, …)
}

/** Fetches up to 30 mints in one call; mints without a pair are absent from the result. */
export async function fetchDexTokens(
  env: Pick<Env, "DEXSCREENER_API_URL" | "UPSTREAM_TIMEOUT_MS">,
  mints: readonly string[],
): Promise<Map<string, DexTokenInfo>> {
  if (mints.length > DEX_MAX_PER_CALL) throw new RangeError(`at most ${DEX_MAX_PER_CALL} mints per DexScreener call`);
  const out = new Map<string, DexTokenInfo>();
  if (mints.length === 0) return out;
  const { data } = await fetchJson({
    service: "dexscreener",
    url: joinUrl(env.DEXSCREENER_API_URL, `/tokens/v1/solana/${mints.map(pathSegment).join(",")}`),
    schema: PairsSchema,
    timeoutMs: timeoutFrom(env),
  });
  return pickBestPairs(data, mints);
}

/** Keeps pairs whose baseToken is the asked mint and takes the most liquid per mint (fixture notes). */
export function pickBestPairs(pairs: readonly DexPair[], mints: readonly string[]): Map<string, DexTokenInfo> {
  const wanted = new Set(mints);
  const out = new Map<string, DexTokenInfo>();
  const liq = (p: DexPair) => p.liquidity?.usd ?? -1;
  for (const p of pairs) {
    const mint = p.baseToken.address;
    if (!wanted.has(mint)) continue;
    const best = out.get(mint);
    if (best && (best.liquidity_usd ?? -1) >= liq(p)) continue;
    const price = p.priceUsd === undefined ? Number.NaN : Number(p.priceUsd);
    out.set(mint, {
      mint,
      name: p.baseToken.name?.trim() || null,
      symbol: p.baseToken.symbol?.trim() || null,
      price_usd: Number.isFinite(price) && price > 0 ? price : null,
      liquidity_usd: p.liquidity?.usd ?? null,
      pair_created_at: p.pairCreatedAt ?? null,
      pair_address: p.pairAddress,
      dex_name: p.dexId?.trim() || null,
    });
  }
  return out;
}

/** Splits any number of mints into ≤ 30-mint calls (run in parallel) and merges the answers. */
export async function fetchDexTokensBatched(
  env: Pick<Env, "DEXSCREENER_API_URL" | "UPSTREAM_TIMEOUT_MS">,
  mints: readonly string[],
): Promise<Map<string, DexTokenInfo>> {
  const unique = [...new Set(mints)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += DEX_MAX_PER_CALL) chunks.push(unique.slice(i, i + DEX_MAX_PER_CALL));
  const maps = await Promise.all(chunks.map((c) => fetchDexTokens(env, c)));
  return new Map(maps.flatMap((m) => [...m]));
}
