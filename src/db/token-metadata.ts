import { and, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { fetchDexTokensBatched } from "../upstream/dexscreener";
import { getAssetBatch } from "../upstream/helius-das";
import type { Db } from "./client";
import { tokens } from "./schema";

export interface KnownMint {
  mint: string;
  decimals?: number;
  token_program?: string;
}

/** D1 binds at most 100 parameters per statement. */
const chunk = <T>(xs: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * Makes sure every mint has a `tokens` row and, when its name or symbol is missing, asks for them in
 * ONE batched upstream call (Helius DAS getAssetBatch through the RPC URL), then DexScreener's batched
 * token endpoint for what DAS could not name — never one call per token.
 * A mint that was asked about within `retryAfterSeconds` is not asked again, so an unknown token does
 * not cost a call on every refresh. Best effort: an upstream failure is logged and leaves the names
 * missing (the mint and balance are still shown); it never throws.
 * Returns how many mints were looked up upstream (0 when the cache had them all).
 */
export async function ensureTokenMetadata(
  env: { SOLANA_RPC_URL?: string; DEXSCREENER_API_URL?: string; UPSTREAM_TIMEOUT_MS?: string },
  db: Db,
  mints: readonly KnownMint[],
  retryAfterSeconds = 3600,
  /** Told how many upstream requests are about to be made (subrequest accounting of budgeted jobs). */
  onUpstreamCalls?: (n: number) => void,
): Promise<number> {
  const unique = [...new Map(mints.map((m) => [m.mint, m])).values()];
  if (unique.length === 0) return 0;
  const now = nowIso();

  // Rows for new mints, with what the holdings already told us (decimals, token program).
  const inserts = chunk(unique, 20).map((part) =>
    db
      .insert(tokens)
      .values(
        part.map((m) => ({
          mint_address: m.mint,
          decimals: m.decimals ?? null,
          token_program: m.token_program ?? null,
        })),
      )
      .onConflictDoUpdate({
        target: tokens.mint_address,
        set: {
          decimals: sql`coalesce(${tokens.decimals}, excluded.decimals)`,
          token_program: sql`coalesce(${tokens.token_program}, excluded.token_program)`,
        },
      }),
  );
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);

  const retryBefore = nowIso(Date.now() - retryAfterSeconds * 1000);
  const missing: string[] = [];
  for (const part of chunk(
    unique.map((m) => m.mint),
    90,
  )) {
    const rows = await db
      .select({ mint: tokens.mint_address })
      .from(tokens)
      .where(
        and(
          inArray(tokens.mint_address, part),
          or(isNull(tokens.name), isNull(tokens.symbol)),
          or(isNull(tokens.metadata_updated_at), lt(tokens.metadata_updated_at, retryBefore)),
        ),
      );
    missing.push(...rows.map((r) => r.mint));
  }
  if (missing.length === 0) return 0;

  const byMint = new Map<
    string,
    {
      name: string | null;
      symbol: string | null;
      decimals: number | null;
      dex_name?: string | null;
      pair_address?: string | null;
    }
  >();
  try {
    onUpstreamCalls?.(Math.ceil(missing.length / 1000));
    for (const a of await getAssetBatch(env, missing)) byMint.set(a.mint, a);
  } catch (err) {
    log.warn("token_metadata_fetch_failed", {
      source: "das",
      mints: missing.length,
      error: err instanceof Error ? err.message : "?",
    });
  }
  // DexScreener's pair baseToken for what DAS did not name (a plain RPC node has no DAS), ≤ 30 per call.
  const unnamed = missing.filter((m) => !byMint.get(m)?.name);
  if (unnamed.length > 0 && env.DEXSCREENER_API_URL) {
    onUpstreamCalls?.(Math.ceil(unnamed.length / 30));
    try {
      for (const [mint, info] of await fetchDexTokensBatched(
        { DEXSCREENER_API_URL: env.DEXSCREENER_API_URL, UPSTREAM_TIMEOUT_MS: env.UPSTREAM_TIMEOUT_MS ?? "" },
        unnamed,
      )) {
        const prev = byMint.get(mint);
        byMint.set(mint, {
          name: info.name ?? null,
          symbol: prev?.symbol ?? info.symbol ?? null,
          decimals: prev?.decimals ?? null,
          dex_name: info.dex_name,
          pair_address: info.pair_address,
        });
      }
    } catch (err) {
      log.warn("token_metadata_fetch_failed", {
        source: "dexscreener",
        mints: unnamed.length,
        error: err instanceof Error ? err.message : "?",
      });
    }
  }
  const updates = missing.map((mint) => {
    const a = byMint.get(mint);
    return db
      .update(tokens)
      .set({
        name: sql`coalesce(${a?.name ?? null}, ${tokens.name})`,
        symbol: sql`coalesce(${a?.symbol ?? null}, ${tokens.symbol})`,
        decimals: sql`coalesce(${tokens.decimals}, ${a?.decimals ?? null})`,
        dex_name: sql`coalesce(${tokens.dex_name}, ${a?.dex_name ?? null})`,
        pair_address: sql`coalesce(${tokens.pair_address}, ${a?.pair_address ?? null})`,
        metadata_updated_at: now,
        updated_at: now,
      })
      .where(sql`${tokens.mint_address} = ${mint}`);
  });
  const [u0, ...urest] = updates;
  if (u0) await db.batch([u0, ...urest]);
  return missing.length;
}
