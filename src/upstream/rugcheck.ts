import { z } from "zod";
import { fetchJson, joinUrl, pathSegment, timeoutFrom } from "./http";

/**
 * RugCheck `GET /v1/tokens/{mint}/report` (public, no key: a blank or placeholder key answers 401, so none
 * is sent). Shape from ../shared/fixtures/rugcheck-report.captured.json; only what the safety score reads
 * is checked, the rest is tolerated.
 */
const HolderSchema = z
  .object({
    address: z.string().optional(),
    pct: z.number(), // a percent: 20.23 = 20.23 %
    owner: z.string().nullish(),
    insider: z.boolean().nullish(),
  })
  .loose();

const RiskSchema = z
  .object({ name: z.string(), level: z.string().nullish(), score: z.number().nullish(), value: z.string().nullish() })
  .loose();

export const RugcheckReportSchema = z
  .object({
    mint: z.string().optional(),
    tokenProgram: z.string().nullish(),
    token: z
      .object({
        mintAuthority: z.string().nullable().optional(),
        freezeAuthority: z.string().nullable().optional(),
        decimals: z.number().int().nullish(),
      })
      .loose()
      .nullish(),
    mintAuthority: z.string().nullable().optional(),
    freezeAuthority: z.string().nullable().optional(),
    token_extensions: z.record(z.string(), z.unknown()).nullish(),
    tokenMeta: z.object({ name: z.string().nullish(), symbol: z.string().nullish() }).loose().nullish(),
    topHolders: z.array(HolderSchema).nullish(),
    risks: z.array(RiskSchema).nullish(),
    score: z.number().nullish(),
    score_normalised: z.number().nullish(),
    totalMarketLiquidity: z.number().nullish(),
    rugged: z.boolean().nullish(),
    transferFee: z.object({ pct: z.number().nullish() }).loose().nullish(),
    knownAccounts: z.record(z.string(), z.object({ type: z.string().nullish() }).loose()).nullish(),
    detectedAt: z.string().nullish(),
  })
  .loose();

export type RugcheckReport = z.infer<typeof RugcheckReportSchema>;

export async function fetchRugcheckReport(
  env: Pick<Env, "RUGCHECK_API_URL" | "UPSTREAM_TIMEOUT_MS">,
  mint: string,
): Promise<RugcheckReport> {
  const { data } = await fetchJson({
    service: "rugcheck",
    url: joinUrl(env.RUGCHECK_API_URL, `/v1/tokens/${pathSegment(mint)}/report`),
    schema: RugcheckReportSchema,
    timeoutMs: timeoutFrom(env),
  });
  return data;
}

/**
 * Top-10 holders' share in percent, leaving out pool vaults: a holder whose owner RugCheck knows as an AMM
 * (or a locker) holds liquidity, not a concentrated position.
 */
export function top10HolderPercent(r: RugcheckReport): number | null {
  if (!r.topHolders) return null;
  const known = r.knownAccounts ?? {};
  const isPool = (owner: string | null | undefined) => {
    const type = owner ? known[owner]?.type : undefined;
    return typeof type === "string" && /amm|locker|pool/i.test(type);
  };
  const holders = r.topHolders.filter((h) => !isPool(h.owner)).slice(0, 10);
  return holders.reduce((s, h) => s + h.pct, 0);
}
