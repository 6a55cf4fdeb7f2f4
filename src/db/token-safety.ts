import { eq } from "drizzle-orm";
import {
  DANGEROUS_EXTENSIONS,
  type ExtensionFlag,
  extensionFlags,
  highestRiskLevel,
  type SafetyInputs,
  type SafetyLookupConfig,
  type SafetyResult,
  scoreSafety,
} from "../domain/safety";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { type DexTokenInfo, fetchDexTokens } from "../upstream/dexscreener";
import { fetchRugcheckReport, type RugcheckReport, top10HolderPercent } from "../upstream/rugcheck";
import type { Db } from "./client";
import { type TokenRow, tokens } from "./schema";

/**
 * The token safety cache (DESIGN §4): results kept in `tokens` with their inputs and per-check results for
 * `token_cache_ttl_seconds`; RugCheck is primary (contract, holders), DexScreener gives liquidity and age.
 * When the upstreams fail, a stale cached result is used with a warning; with nothing cached the caller
 * filters the signal `safety_unavailable`. The score is recomputed from the stored inputs with the current
 * config, so a threshold change applies at once without refetching.
 */
export type SafetyOutcome =
  | {
      status: "ok";
      result: SafetyResult;
      inputs: SafetyInputs;
      source: "upstream" | "cache" | "stale_cache";
      decimals: number | null;
      checked_at: string;
    }
  | { status: "unavailable"; detail: string; decimals: number | null };

type Env2 = Pick<Env, "RUGCHECK_API_URL" | "DEXSCREENER_API_URL" | "UPSTREAM_TIMEOUT_MS">;

const HOUR_MS = 3_600_000;

export function inputsFromRow(row: TokenRow, nowMs: number): SafetyInputs {
  const flags = parseFlags(row.contract_flags);
  const age =
    row.pair_created_at !== null && !Number.isNaN(Date.parse(row.pair_created_at))
      ? (nowMs - Date.parse(row.pair_created_at)) / HOUR_MS
      : row.token_age_hours;
  return {
    liquidity_usd: row.liquidity_usd,
    top10_holder_percent: row.top10_holder_percent,
    token_age_hours: age,
    mint_authority: row.mint_authority,
    freeze_authority: row.freeze_authority,
    is_rugged: row.is_rugged,
    rugcheck_risk_level: row.rugcheck_risk_level,
    danger_risks: flags.filter((f) => f.startsWith("danger_risk:")).map((f) => f.slice("danger_risk:".length)),
    transfer_fee_bps: row.transfer_fee_bps,
    extension_flags: flags.filter((f): f is ExtensionFlag => (DANGEROUS_EXTENSIONS as readonly string[]).includes(f)),
  };
}

function parseFlags(json: string | null): string[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** Combines a RugCheck report and (optionally) the DexScreener pair into the score inputs. */
export function inputsFromUpstream(
  report: RugcheckReport,
  dex: DexTokenInfo | null,
  nowMs: number,
): { inputs: SafetyInputs; pair_created_at: string | null } {
  const risks = report.risks ?? [];
  const createdMs = dex?.pair_created_at ?? (report.detectedAt ? Date.parse(report.detectedAt) : Number.NaN);
  const hasCreated = Number.isFinite(createdMs);
  const feePct = report.transferFee?.pct;
  return {
    inputs: {
      liquidity_usd: dex?.liquidity_usd ?? report.totalMarketLiquidity ?? null,
      top10_holder_percent: top10HolderPercent(report),
      token_age_hours: hasCreated ? (nowMs - createdMs) / HOUR_MS : null,
      mint_authority: report.token?.mintAuthority ?? report.mintAuthority ?? null,
      freeze_authority: report.token?.freezeAuthority ?? report.freezeAuthority ?? null,
      is_rugged: report.rugged ?? false,
      rugcheck_risk_level: highestRiskLevel(risks),
      danger_risks: risks.filter((r) => (r.level ?? "").toLowerCase() === "danger").map((r) => r.name),
      // RugCheck's transferFee.pct is a percent: 1 % = 100 bps.
      transfer_fee_bps: typeof feePct === "number" ? Math.round(feePct * 100) : null,
      extension_flags: extensionFlags(report.token_extensions),
    },
    pair_created_at: hasCreated ? nowIso(createdMs) : null,
  };
}

/** The fields of a token row the safety score is computed from (the DO cache keeps exactly these). */
export type SafetyRow = Pick<
  TokenRow,
  | "decimals"
  | "liquidity_usd"
  | "top10_holder_percent"
  | "token_age_hours"
  | "pair_created_at"
  | "mint_authority"
  | "freeze_authority"
  | "is_rugged"
  | "rugcheck_risk_level"
  | "transfer_fee_bps"
  | "contract_flags"
  | "safety_checked_at"
>;

/** A cached result scored with the current config (a threshold change applies at once, without a refetch). */
export function outcomeFromRow(
  row: SafetyRow,
  config: SafetyLookupConfig,
  nowMs: number,
  source: "cache" | "stale_cache",
): Extract<SafetyOutcome, { status: "ok" }> {
  const inputs = inputsFromRow(row as TokenRow, nowMs);
  return {
    status: "ok",
    result: scoreSafety(inputs, config),
    inputs,
    source,
    decimals: row.decimals,
    checked_at: row.safety_checked_at as string,
  };
}

/** Whether a cached row is still within `token_cache_ttl_seconds`. */
export function isFresh(row: SafetyRow | null | undefined, config: SafetyLookupConfig, nowMs: number): boolean {
  const at = row?.safety_checked_at ? Date.parse(row.safety_checked_at) : Number.NaN;
  return Number.isFinite(at) && nowMs - at < config.token_cache_ttl_seconds * 1000;
}

/** The two upstream answers of a lookup, settled (never rejects): RugCheck's report and DexScreener's pair. */
export type SafetySources = [
  PromiseSettledResult<Awaited<ReturnType<typeof fetchRugcheckReport>>>,
  PromiseSettledResult<Awaited<ReturnType<typeof fetchDexTokens>>>,
];

/** Starts a lookup's upstream calls (RugCheck + DexScreener, together). */
export function fetchSafetySources(env: Env2, mint: string): Promise<SafetySources> {
  return Promise.allSettled([fetchRugcheckReport(env, mint), fetchDexTokens(env, [mint])]);
}

/** The new token row values of one upstream lookup (RugCheck + DexScreener), or the RugCheck failure. */
export async function lookupUpstream(
  env: Env2,
  mint: string,
  row: Partial<TokenRow> | null,
  config: SafetyLookupConfig,
  nowMs: number,
): Promise<Lookup> {
  return lookupFromSources(await fetchSafetySources(env, mint), mint, row, config, nowMs);
}

/** A lookup from its upstream answers; `row` (the mint's previous values, if any) fills what they lack. */
export function lookupFromSources(
  [rc, dx]: SafetySources,
  mint: string,
  row: Partial<TokenRow> | null,
  config: SafetyLookupConfig,
  nowMs: number,
): Lookup {
  if (rc.status === "rejected") return { ok: false, error: errorMessage(rc.reason) };
  const report = rc.value;
  const dex = dx.status === "fulfilled" ? (dx.value.get(mint) ?? null) : null;
  if (dx.status === "rejected")
    log.warn("token_dexscreener_failed", { mint, error: dx.reason instanceof Error ? dx.reason.message : "" });
  const { inputs, pair_created_at } = inputsFromUpstream(report, dex, nowMs);
  const result = scoreSafety(inputs, config);
  const checkedAt = nowIso(nowMs);
  const decimals = report.token?.decimals ?? row?.decimals ?? null;
  const values = {
    name: dex?.name ?? report.tokenMeta?.name?.trim() ?? row?.name ?? null,
    symbol: dex?.symbol ?? report.tokenMeta?.symbol?.trim() ?? row?.symbol ?? null,
    decimals,
    token_program: report.tokenProgram ?? row?.token_program ?? null,
    safety_score: result.score,
    liquidity_usd: inputs.liquidity_usd,
    top10_holder_percent: inputs.top10_holder_percent,
    token_age_hours: inputs.token_age_hours,
    pair_created_at,
    // A failed DexScreener call keeps the pair known from before; an answer replaces it.
    dex_name: dex ? dex.dex_name : (row?.dex_name ?? null),
    pair_address: dex ? dex.pair_address : (row?.pair_address ?? null),
    mint_authority: inputs.mint_authority,
    freeze_authority: inputs.freeze_authority,
    rugcheck_score: report.score ?? null,
    rugcheck_risk_level: inputs.rugcheck_risk_level,
    is_rugged: inputs.is_rugged,
    transfer_fee_bps: inputs.transfer_fee_bps,
    contract_flags: JSON.stringify(result.contract_flags),
    check_liquidity_passed: result.checks.liquidity,
    check_holders_passed: result.checks.holders,
    check_contract_passed: result.checks.contract,
    check_age_passed: result.checks.age,
    safety_source: dex ? "rugcheck+dexscreener" : "rugcheck",
    safety_checked_at: checkedAt,
    price_usd: dex?.price_usd ?? row?.price_usd ?? null,
    metadata_updated_at: checkedAt,
    updated_at: checkedAt,
  };
  return { ok: true, values, inputs, result };
}

export type TokenValues = Omit<TokenRow, "mint_address" | "created_at">;
export type Lookup =
  | { ok: true; values: TokenValues; inputs: SafetyInputs; result: SafetyResult }
  | { ok: false; error: string };

/** The upsert of a lookup into D1's `tokens` (the API's read model of the cache); the same values again change nothing. */
export function tokenRowUpsert(db: Db, mint: string, values: TokenValues) {
  return db
    .insert(tokens)
    .values({ mint_address: mint, ...values })
    .onConflictDoUpdate({ target: tokens.mint_address, set: values });
}

/** The safety outcome of a lookup result: fresh values, else a stale cached row, else unavailable. */
export function outcomeOfLookup(
  mint: string,
  lookup: Lookup,
  row: SafetyRow | null | undefined,
  config: SafetyLookupConfig,
  nowMs: number,
): SafetyOutcome {
  if (lookup.ok) {
    const { inputs, result, values } = lookup;
    return {
      status: "ok",
      result,
      inputs,
      source: "upstream",
      decimals: values.decimals,
      checked_at: values.safety_checked_at as string,
    };
  }
  if (row?.safety_checked_at && Number.isFinite(Date.parse(row.safety_checked_at))) {
    log.warn("token_safety_stale_cache_used", { mint, checked_at: row.safety_checked_at, error: lookup.error });
    return outcomeFromRow(row, config, nowMs, "stale_cache");
  }
  log.warn("token_safety_unavailable", { mint, error: lookup.error });
  return { status: "unavailable", detail: lookup.error, decimals: row?.decimals ?? null };
}

/** The D1-backed assessment (API, tools): the cached row when fresh, else one lookup written to `tokens`. */
export async function assessTokenSafety(
  env: Env2,
  db: Db,
  mint: string,
  config: SafetyLookupConfig,
  nowMs: number = Date.now(),
): Promise<SafetyOutcome> {
  const row = await db.select().from(tokens).where(eq(tokens.mint_address, mint)).get();
  if (row && isFresh(row, config, nowMs)) return outcomeFromRow(row, config, nowMs, "cache");
  const lookup = await lookupUpstream(env, mint, row ?? null, config, nowMs);
  if (lookup.ok) await tokenRowUpsert(db, mint, lookup.values);
  return outcomeOfLookup(mint, lookup, row, config, nowMs);
}
