import { levelIndexesToMultiples } from "./exit-rules";
import { mergeStrategy, type StrategyOverride, type StrategyRules } from "./exit-strategy";
import type { OpenPositionInput } from "./position";
import type { MirrorExitRequest } from "./swap-order";
import type { ExitReason, WalletMode } from "./vocabulary";

/**
 * The PositionActor's state (persisted as one JSON row in its storage) and the pure checks around it: the
 * actor keeps state, timers and I/O; what it decides lives in the domain (exit-rules, position-tick, here).
 */
export type Status = "open" | "closing" | "closed";

export interface PositionState {
  id: string;
  wallet_id: number | null;
  source_wallet_address: string;
  signal_id: number | null;
  /** See OpenPositionInput.signal_signature; absent in state written by older versions. */
  signal_signature?: string | null;
  entry_order_id: string;
  token_mint: string;
  token_decimals: number;
  mode: WalletMode;
  status: Status;
  exit_strategy_id: number | null;
  /**
   * null while the template is still to be read: a position opened while D1 was unreachable (issue 10) is
   * opened from its fill all the same, and its rules are read by the next alarm before any exit is decided.
   */
  template_rules: StrategyRules | null;
  strategy_override: StrategyOverride | null;
  entry_price_usd: number;
  entry_amount: string;
  entry_cost_usd: number;
  current_amount: string;
  current_price_usd: number | null;
  peak_price_usd: number;
  trailing_active: boolean;
  /** Multiples of the scaling levels that fired (issue 9 item 7); see `scaling_levels_hit_format`. */
  scaling_levels_hit: number[];
  /** "multiple" once `scaling_levels_hit` holds multiples; absent in state written by older versions (indexes). */
  scaling_levels_hit_format?: "multiple";
  realized_pnl_usd: number;
  sold_amount: string;
  exit_proceeds_usd: number;
  avg_exit_price_usd: number | null;
  exit_reason: ExitReason | null;
  price_source: string | null;
  last_price_at: string | null;
  next_poll_at: string | null;
  poll_interval_seconds: number | null;
  poll_mode: string | null;
  last_error: string | null;
  manual_seq: number;
  retry_gen: number;
  /** Bumped by every save: the D1 row carries it, so a late (older) write never lands over a newer one. */
  version?: number;
  opened_at: string;
  closed_at: string | null;
  /** Base units the trading wallet no longer held when reconciliation closed the position (additive). */
  sold_externally_amount?: string;
}

export type ExitRow = {
  key: string;
  reason: ExitReason;
  amount: string;
  full: number;
  level: number | null;
  signal_id: number | null;
  price_usd: number | null;
  state: "decided" | "queued" | "filled" | "cancelled" | "dead";
  order_id: string | null;
  created_at: string;
};

/** State written by older versions: scaling levels hit by index become the same levels by multiple. */
export function upgradeState(st: PositionState): PositionState {
  if (st.scaling_levels_hit_format === "multiple" || !st.template_rules) return st;
  const rules = mergeStrategy(st.template_rules, st.strategy_override);
  return {
    ...st,
    scaling_levels_hit: levelIndexesToMultiples(rules, st.scaling_levels_hit ?? []),
    scaling_levels_hit_format: "multiple",
  };
}

export function isMirrorRequest(r: MirrorExitRequest): boolean {
  return (
    !!r &&
    (r.signal_id == null
      ? typeof r.transaction_signature === "string" && r.transaction_signature.length > 0
      : Number.isSafeInteger(r.signal_id)) &&
    typeof r.leader_address === "string" &&
    typeof r.token_mint === "string" &&
    typeof r.fraction === "number" &&
    r.fraction > 0 &&
    r.fraction <= 1 + 1e-9
  );
}

export function openProblem(i: OpenPositionInput): string | null {
  if (!i || typeof i.position_id !== "string" || !i.position_id) return "position_id";
  if (typeof i.token_mint !== "string" || !i.token_mint) return "token_mint";
  if (!Number.isInteger(i.token_decimals) || i.token_decimals < 0 || i.token_decimals > 18) return "token_decimals";
  if (!(i.entry_price_usd > 0)) return "entry_price_usd";
  if (!(i.entry_cost_usd > 0)) return "entry_cost_usd";
  if (typeof i.entry_amount !== "string" || !/^\d+$/.test(i.entry_amount) || BigInt(i.entry_amount) <= 0n)
    return "entry_amount";
  if (i.mode !== "simulation" && i.mode !== "live") return "mode";
  return null;
}

/** A position just opened from its entry fill (`template` null: its rules are read by the first alarm). */
export function newPositionState(
  input: OpenPositionInput,
  template: { id: number; rules: StrategyRules } | null,
  now: number,
): PositionState {
  return {
    id: input.position_id,
    wallet_id: input.wallet_id,
    source_wallet_address: input.source_wallet_address,
    signal_id: input.signal_id,
    signal_signature: input.signal_signature ?? null,
    entry_order_id: input.entry_order_id,
    token_mint: input.token_mint,
    token_decimals: input.token_decimals,
    mode: input.mode,
    status: "open",
    exit_strategy_id: template?.id ?? input.exit_strategy_id,
    template_rules: template?.rules ?? null,
    strategy_override: null,
    entry_price_usd: input.entry_price_usd,
    entry_amount: input.entry_amount,
    entry_cost_usd: input.entry_cost_usd,
    current_amount: input.entry_amount,
    current_price_usd: input.entry_price_usd,
    peak_price_usd: input.entry_price_usd,
    trailing_active: false,
    scaling_levels_hit: [],
    realized_pnl_usd: 0,
    sold_amount: "0",
    exit_proceeds_usd: 0,
    avg_exit_price_usd: null,
    exit_reason: null,
    price_source: null,
    last_price_at: null,
    next_poll_at: null,
    poll_interval_seconds: null,
    poll_mode: null,
    last_error: null,
    manual_seq: 0,
    retry_gen: 0,
    opened_at: new Date(now).toISOString(),
    closed_at: null,
  };
}
