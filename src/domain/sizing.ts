import type { Config } from "./config";
import type { SizingMode } from "./vocabulary";

/**
 * Entry sizing (DESIGN §4): fixed USD, fixed SOL, percent of capital (the seed's capital × allocation %, the
 * wallet's allocation or else the config's), risk-based (risk % of the capital, or of the wallet's allocation
 * of it: the formula percent_capital had before it followed the seed), or a ratio of the leader's trade; a re-buy is a percentage of the first entry. The result is always
 * clamped to [min_position_usd, max_position_usd]. Pure; the SOL price comes from the caller.
 */
export type { SizingMode };

export type SizingConfig = Pick<
  Config,
  | "position_sizing_mode"
  | "fixed_position_usd"
  | "fixed_position_sol"
  | "capital_usd"
  | "risk_per_trade_percent"
  | "capital_allocation_percent"
  | "leader_ratio"
  | "min_position_usd"
  | "max_position_usd"
>;

export interface SizingOverrides {
  position_sizing_mode: SizingMode | null;
  fixed_position_usd: number | null;
  leader_ratio: number | null;
  capital_allocation_percent: number | null;
}

export interface SizingInput {
  /** The leader's trade in SOL and, when known, in USD (a USD-quoted trade has USD without the SOL price). */
  leader_sol: number | null;
  leader_usd: number | null;
  sol_usd: number | null;
  /** Set for a re-buy: the USD of the first entry and the configured percentage of it. */
  rebuy?: { first_entry_usd: number; percent: number } | null;
}

export type SizingResult =
  | { ok: true; usd: number; raw_usd: number; mode: SizingMode | "rebuy"; clamped: "min" | "max" | null }
  | { ok: false; reason: "price_unavailable"; detail: string };

export const needsSolPrice = (mode: SizingMode, leaderUsdKnown: boolean) =>
  mode === "fixed_sol" || (mode === "leader_ratio" && !leaderUsdKnown);

export function sizeEntry(config: SizingConfig, w: Partial<SizingOverrides>, input: SizingInput): SizingResult {
  const mode = w.position_sizing_mode ?? config.position_sizing_mode;
  const solUsd = input.sol_usd !== null && input.sol_usd > 0 ? input.sol_usd : null;
  let raw: number;
  let used: SizingMode | "rebuy" = mode;
  if (input.rebuy) {
    raw = (input.rebuy.first_entry_usd * input.rebuy.percent) / 100;
    used = "rebuy";
  } else if (mode === "fixed_usd") {
    raw = w.fixed_position_usd ?? config.fixed_position_usd;
  } else if (mode === "fixed_sol") {
    if (solUsd === null)
      return { ok: false, reason: "price_unavailable", detail: "fixed_sol sizing needs the SOL price" };
    raw = config.fixed_position_sol * solUsd;
  } else if (mode === "percent_capital") {
    raw = (config.capital_usd * (w.capital_allocation_percent ?? config.capital_allocation_percent)) / 100;
  } else if (mode === "risk_percent") {
    const capital =
      w.capital_allocation_percent != null
        ? (config.capital_usd * w.capital_allocation_percent) / 100
        : config.capital_usd;
    raw = (capital * config.risk_per_trade_percent) / 100;
  } else {
    const ratio = w.leader_ratio ?? config.leader_ratio;
    const leaderUsd =
      input.leader_usd ?? (input.leader_sol !== null && solUsd !== null ? input.leader_sol * solUsd : null);
    if (leaderUsd === null)
      return { ok: false, reason: "price_unavailable", detail: "leader_ratio sizing needs the leader's trade in USD" };
    raw = leaderUsd * ratio;
  }
  const { min_position_usd: min, max_position_usd: max } = config;
  if (raw < min) return { ok: true, usd: min, raw_usd: raw, mode: used, clamped: "min" };
  if (raw > max) return { ok: true, usd: max, raw_usd: raw, mode: used, clamped: "max" };
  return { ok: true, usd: raw, raw_usd: raw, mode: used, clamped: null };
}
