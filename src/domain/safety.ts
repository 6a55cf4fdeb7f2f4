import type { Config } from "./config";

/**
 * Token safety (DESIGN §4, FR-3): four checks worth 0.25 each, pass when the score reaches the threshold.
 *   liquidity ≥ min_liquidity_usd · top-10 holders < max_top10_holder_percent ·
 *   contract clean (no mint / freeze authority, not rugged, no RugCheck danger risk, no Token-2022 permanent
 *   delegate / transfer hook / non-transferable, transfer fee ≤ max_transfer_fee_bps) · age ≥ min_token_age_hours.
 * A check whose input is unknown fails: an unknown token is not a safe token.
 */
export type SafetyConfig = Pick<
  Config,
  "safety_threshold" | "min_liquidity_usd" | "max_top10_holder_percent" | "min_token_age_hours" | "max_transfer_fee_bps"
>;

/** What a safety lookup needs of the config: the limits it scores with, and how long its result is fresh. */
export type SafetyLookupConfig = SafetyConfig & Pick<Config, "token_cache_ttl_seconds">;

/**
 * Only those fields, for the call to the TokenSafety object: the whole config crossed the RPC on every BUY's
 * lookup, a measurable share of the decision's CPU (issue 10).
 */
export function safetyLookupConfig(c: SafetyLookupConfig): SafetyLookupConfig {
  return {
    safety_threshold: c.safety_threshold,
    min_liquidity_usd: c.min_liquidity_usd,
    max_top10_holder_percent: c.max_top10_holder_percent,
    min_token_age_hours: c.min_token_age_hours,
    max_transfer_fee_bps: c.max_transfer_fee_bps,
    token_cache_ttl_seconds: c.token_cache_ttl_seconds,
  };
}

/** Token-2022 extensions that let someone take or freeze the holder's tokens. */
export const DANGEROUS_EXTENSIONS = ["permanent_delegate", "transfer_hook", "non_transferable"] as const;
export type ExtensionFlag = (typeof DANGEROUS_EXTENSIONS)[number];

export interface SafetyInputs {
  liquidity_usd: number | null;
  top10_holder_percent: number | null;
  token_age_hours: number | null;
  mint_authority: string | null;
  freeze_authority: string | null;
  is_rugged: boolean | null;
  /** Highest RugCheck risk level ("danger" | "warn" | "info" | "none"), null when RugCheck was not read. */
  rugcheck_risk_level: string | null;
  /** Names of the danger-level risks, for the record. */
  danger_risks: string[];
  transfer_fee_bps: number | null;
  extension_flags: ExtensionFlag[];
}

export interface SafetyResult {
  score: number;
  passed: boolean;
  checks: { liquidity: boolean; holders: boolean; contract: boolean; age: boolean };
  /** Why the contract check failed (empty when it passed). */
  contract_flags: string[];
}

export function contractFlags(i: SafetyInputs, maxTransferFeeBps: number): string[] {
  const flags: string[] = [];
  if (i.rugcheck_risk_level === null) flags.push("contract_unknown");
  if (i.mint_authority) flags.push("mint_authority");
  if (i.freeze_authority) flags.push("freeze_authority");
  if (i.is_rugged) flags.push("rugged");
  for (const r of i.danger_risks) flags.push(`danger_risk:${r}`);
  if (i.rugcheck_risk_level === "danger" && i.danger_risks.length === 0) flags.push("danger_risk");
  for (const e of i.extension_flags) flags.push(e);
  if (i.transfer_fee_bps !== null && i.transfer_fee_bps > maxTransferFeeBps) flags.push("transfer_fee_above_cap");
  return flags;
}

export function scoreSafety(i: SafetyInputs, c: SafetyConfig): SafetyResult {
  const contract_flags = contractFlags(i, c.max_transfer_fee_bps);
  const checks = {
    liquidity: i.liquidity_usd !== null && i.liquidity_usd >= c.min_liquidity_usd,
    holders: i.top10_holder_percent !== null && i.top10_holder_percent < c.max_top10_holder_percent,
    contract: contract_flags.length === 0,
    age: i.token_age_hours !== null && i.token_age_hours >= c.min_token_age_hours,
  };
  const score = Object.values(checks).filter(Boolean).length * 0.25;
  // Tiny tolerance so 0.75 vs a threshold typed as 0.75 compares as equal.
  return { score, passed: score >= c.safety_threshold - 1e-9, checks, contract_flags };
}

/** RugCheck's `token_extensions` keys (camelCase or snake_case) → the dangerous extensions present. */
export function extensionFlags(extensions: Record<string, unknown> | null | undefined): ExtensionFlag[] {
  if (!extensions) return [];
  const keys = Object.keys(extensions).map((k) => k.toLowerCase().replace(/[^a-z]/g, ""));
  const out: ExtensionFlag[] = [];
  if (keys.some((k) => k.includes("permanentdelegate"))) out.push("permanent_delegate");
  if (keys.some((k) => k.includes("transferhook"))) out.push("transfer_hook");
  if (keys.some((k) => k.includes("nontransferable"))) out.push("non_transferable");
  return out;
}

const LEVEL_RANK: Record<string, number> = { none: 0, info: 1, warn: 2, danger: 3 };

/** The highest risk level among RugCheck's risks ("none" when it lists none). */
export function highestRiskLevel(risks: readonly { level?: string | null }[]): string {
  let best = "none";
  for (const r of risks) {
    const level = (r.level ?? "").toLowerCase();
    if ((LEVEL_RANK[level] ?? 0) > (LEVEL_RANK[best] ?? 0)) best = level;
  }
  return best;
}
