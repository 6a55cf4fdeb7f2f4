import { z } from "zod";
import { fetchJson, timeoutFrom, UpstreamError } from "./http";

/**
 * Helius DAS `getAssetBatch`, served on the RPC URL itself (a Helius RPC URL carries the api key):
 * name, symbol and decimals of many mints in ONE call (up to 1000 ids). A plain Solana node answers
 * "method not found", which callers treat as "no metadata" — an unknown token still shows its mint.
 * https://www.helius.dev/docs/api-reference/das/getassetbatch
 */
export const MAX_ASSETS_PER_CALL = 1000;

export interface AssetMetadata {
  mint: string;
  name: string | null;
  symbol: string | null;
  decimals: number | null;
}

const text = z
  .string()
  .nullish()
  .transform((s) => (s?.trim() ? s.trim().slice(0, 100) : null));

const AssetSchema = z
  .object({
    id: z.string(),
    content: z.object({ metadata: z.object({ name: text, symbol: text }).partial().nullish() }).nullish(),
    token_info: z
      .object({ symbol: text, decimals: z.number().int().min(0).max(255).nullish() })
      .partial()
      .nullish(),
  })
  .nullable();

const ResponseSchema = z.union([
  z.object({ result: z.array(z.unknown()) }),
  z.object({ error: z.object({ code: z.number(), message: z.string() }) }),
]);

export async function getAssetBatch(
  env: { SOLANA_RPC_URL?: string; UPSTREAM_TIMEOUT_MS?: string },
  mints: readonly string[],
): Promise<AssetMetadata[]> {
  if (!env.SOLANA_RPC_URL) throw new UpstreamError("solana-rpc", "network", "SOLANA_RPC_URL is not configured");
  const out: AssetMetadata[] = [];
  for (let i = 0; i < mints.length; i += MAX_ASSETS_PER_CALL) {
    const ids = mints.slice(i, i + MAX_ASSETS_PER_CALL);
    const { data } = await fetchJson({
      service: "solana-rpc",
      url: env.SOLANA_RPC_URL,
      schema: ResponseSchema,
      timeoutMs: timeoutFrom(env),
      init: {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: "walltrack-assets", method: "getAssetBatch", params: { ids } }),
      },
    });
    if ("error" in data)
      throw new UpstreamError("solana-rpc", "http", `getAssetBatch: JSON-RPC error ${data.error.code}`, {
        status: 200,
        retryable: false,
      });
    for (const raw of data.result) {
      // One odd asset must not hide the metadata of the others.
      const a = AssetSchema.safeParse(raw);
      if (!a.success || !a.data) continue;
      out.push({
        mint: a.data.id,
        name: a.data.content?.metadata?.name ?? null,
        symbol: a.data.content?.metadata?.symbol ?? a.data.token_info?.symbol ?? null,
        decimals: a.data.token_info?.decimals ?? null,
      });
    }
  }
  return out;
}
