import { z } from "@hono/zod-openapi";
import { type EditableConfig, EditableConfigSchema } from "./config";

/**
 * What the operator reads next to each config parameter: its group and a one-line meaning. The range
 * is never written here: `configFieldRange` reads it from EditableConfigSchema, the same schema that
 * checks PUT/PATCH /config, so the dashboard cannot drift from the rule it describes. The Record type
 * makes the compiler refuse a config field without help (or help for a field that does not exist).
 */
export const CONFIG_GROUPS = [
  "sizing",
  "risk",
  "safety",
  "exits",
  "polling",
  "swaps",
  "portfolio",
  "operations",
] as const;
export type ConfigGroup = (typeof CONFIG_GROUPS)[number];

export const CONFIG_GROUP_TITLES: Record<ConfigGroup, string> = {
  sizing: "Sizing",
  risk: "Risk and copy rules",
  safety: "Token safety",
  exits: "Exits and prices",
  polling: "Polling",
  swaps: "Swaps",
  portfolio: "Portfolio and funding",
  operations: "Operations",
};

export const CONFIG_FIELD_DOCS: Record<keyof EditableConfig, { group: ConfigGroup; help: string }> = {
  capital_usd: { group: "sizing", help: "Trading capital in USD that percent-based sizing is taken from." },
  position_sizing_mode: {
    group: "sizing",
    help: "How an entry is sized: fixed USD, fixed SOL, percent of capital, risk percent, or a ratio of the leader's size.",
  },
  fixed_position_usd: { group: "sizing", help: "Entry size in USD when the sizing mode is fixed_usd." },
  fixed_position_sol: { group: "sizing", help: "Entry size in SOL when the sizing mode is fixed_sol." },
  risk_per_trade_percent: { group: "sizing", help: "Percent of capital put into one entry in risk_percent mode." },
  capital_allocation_percent: {
    group: "sizing",
    help: "Percent of capital per entry in percent_capital mode (a wallet may override it).",
  },
  leader_ratio: { group: "sizing", help: "Multiple of the leader's trade size in leader_ratio mode (0.1 = a tenth)." },
  min_position_usd: { group: "sizing", help: "Every entry is raised to at least this many USD." },
  max_position_usd: { group: "sizing", help: "Every entry is clamped to at most this many USD." },
  allow_rebuys: { group: "sizing", help: "Copy a leader's second buy of a token it already bought (off = buy once)." },
  rebuy_size_percent: { group: "sizing", help: "Size of a re-buy, in percent of a normal entry." },
  min_leader_trade_sol: { group: "risk", help: "A leader's buy smaller than this (SOL) is not copied." },
  max_leader_trade_sol: { group: "risk", help: "A leader's buy larger than this (SOL) is not copied." },
  mint_cooldown_seconds: { group: "risk", help: "After an exit, no new entry in the same token for this long." },
  max_open_positions: { group: "risk", help: "No new entry while this many positions are open." },
  max_total_exposure_usd: { group: "risk", help: "No new entry that would take the open cost above this many USD." },
  max_signal_age_seconds: {
    group: "risk",
    help: "A BUY older than this (from its block time) is filtered stale_signal, never chased.",
  },
  max_drawdown_percent: { group: "risk", help: "The circuit breaker opens when the drawdown from peak reaches this." },
  min_win_rate_percent: {
    group: "risk",
    help: "The circuit breaker opens when the win rate over the window falls below this.",
  },
  win_rate_window: { group: "risk", help: "Number of latest closed trades the breaker's win rate is taken over." },
  consecutive_loss_limit: { group: "risk", help: "The circuit breaker opens after this many losses in a row." },
  live_min_trades: {
    group: "risk",
    help: "The live guardrail: evaluated or simulated trades a wallet needs before it may trade live.",
  },
  live_min_win_rate_percent: { group: "risk", help: "The live guardrail: win rate those trades must reach." },
  safety_check_enabled: { group: "safety", help: "Check each token before buying (off skips the safety score)." },
  safety_threshold: { group: "safety", help: "Safety score (0 to 1) a token needs to be bought." },
  min_liquidity_usd: { group: "safety", help: "A token with less pool liquidity than this fails the liquidity check." },
  max_top10_holder_percent: {
    group: "safety",
    help: "A token whose 10 largest holders own more than this fails the holders check.",
  },
  min_token_age_hours: { group: "safety", help: "A token younger than this fails the age check." },
  max_transfer_fee_bps: { group: "safety", help: "A token-2022 transfer fee above this (basis points) fails." },
  token_cache_ttl_seconds: { group: "safety", help: "How long a token's safety result is reused before re-checking." },
  near_trigger_percent: {
    group: "exits",
    help: "Within this percent of an exit trigger a position's price is polled urgently.",
  },
  price_max_age_seconds: {
    group: "exits",
    help: "When the price source fails, the last price is used only if younger than this.",
  },
  poll_urgent_seconds: { group: "polling", help: "Price poll interval of a position near a trigger." },
  poll_active_seconds: { group: "polling", help: "Price poll interval of a position with an armed trailing stop." },
  poll_stable_seconds: { group: "polling", help: "Price poll interval of every other open position." },
  slippage_bps: { group: "swaps", help: "Slippage tolerance of live Jupiter swaps, in basis points." },
  simulated_slippage_bps: {
    group: "swaps",
    help: "Slippage charged to simulated fills, in basis points, when no Jupiter quote prices them.",
  },
  simulation_quotes_enabled: {
    group: "swaps",
    help: "Price simulated fills by a Jupiter quote (its price impact) when a spare swap token and a fast answer are there.",
  },
  swap_min_spacing_ms: { group: "swaps", help: "Optional minimum gap between two swaps (0 = the token bucket alone)." },
  jupiter_swaps_per_second: { group: "swaps", help: "Token-bucket rate of Jupiter calls (your plan's limit)." },
  jupiter_swap_burst: { group: "swaps", help: "Token-bucket size: swaps allowed at once after a quiet spell." },
  max_swap_retries: { group: "swaps", help: "Retries of a failed swap before the order is given up." },
  max_slippage_bps: {
    group: "swaps",
    help: "Ceiling for live re-quotes after a slippage error; slippage_bps may not exceed it.",
  },
  priority_fee_mode: {
    group: "swaps",
    help: "Live swaps' priority fee: fixed (priority_fee_lamports) or Jupiter's auto estimate capped by the max.",
  },
  priority_fee_lamports: { group: "swaps", help: "Priority fee in lamports when the mode is fixed." },
  priority_fee_max_lamports: { group: "swaps", help: "Cap on Jupiter's auto priority fee, in lamports." },
  skip_preflight: { group: "swaps", help: "Send live transactions without the RPC's preflight simulation." },
  sol_fee_reserve: {
    group: "swaps",
    help: "SOL always kept in the trading wallet for fees; live entries never spend it.",
  },
  live_trading_enabled: {
    group: "swaps",
    help: "Master switch for real swaps: off refuses every live wallet and entry (refused on in this build).",
  },
  funded_threshold_sol: { group: "portfolio", help: "A portfolio wallet holding at least this much SOL is FUNDED." },
  portfolio_stale_seconds: {
    group: "portfolio",
    help: "A portfolio wallet's cached balances older than this are stale.",
  },
  funding_execution_enabled: {
    group: "portfolio",
    help: "Send due scheduled funding transfers (off = schedule only).",
  },
  max_funding_transfer_sol: { group: "portfolio", help: "A scheduled transfer above this many SOL is never sent." },
  webhook_silence_alert_minutes: {
    group: "operations",
    help: "Alert when no webhook delivery arrived for this many minutes.",
  },
  retention_days: { group: "operations", help: "Signals and logs older than this many days are purged." },
  max_subrequests_per_invocation: {
    group: "operations",
    help: "Upstream calls one Worker invocation may make (50 free plan, 1,000 paid).",
  },
  reconciliation_tolerance_percent: {
    group: "operations",
    help: "Reconciliation reports held and recorded token amounts that differ by more than this percent.",
  },
  notify_min_severity: {
    group: "operations",
    help: "Alerts of this severity or worse are pushed to Telegram and the webhook.",
  },
  notify_trade_events: { group: "operations", help: "Push entries and exits (with PnL) to the notification channels." },
  notify_daily_summary: { group: "operations", help: "Push a summary of the previous UTC day after midnight." },
  telegram_chat_id: {
    group: "operations",
    help: "Telegram chat the bot (TELEGRAM_BOT_TOKEN) writes to: a numeric id or @channel; empty = off.",
  },
  notify_webhook_url: {
    group: "operations",
    help: "URL that receives notifications as signed JSON (NOTIFY_WEBHOOK_SECRET); empty = off.",
  },
  helius_events_per_day_limit: {
    group: "operations",
    help: "Your Helius plan's webhook events per day (80 % raises an alert).",
  },
  helius_credits_per_month_limit: {
    group: "operations",
    help: "Your Helius plan's credits per month (a webhook edit costs 100).",
  },
  jupiter_price_requests_per_minute_limit: {
    group: "operations",
    help: "Your Jupiter plan's price requests per minute.",
  },
  jupiter_swap_requests_per_minute_limit: {
    group: "operations",
    help: "Your Jupiter plan's quote/swap requests per minute.",
  },
  rugcheck_requests_per_minute_limit: {
    group: "operations",
    help: "RugCheck requests per minute allowed before alerting.",
  },
  dexscreener_requests_per_minute_limit: {
    group: "operations",
    help: "DexScreener requests per minute allowed (300 documented).",
  },
  upstream_429_per_minute_limit: {
    group: "operations",
    help: "HTTP 429 answers per minute, any upstream, before alerting.",
  },
  helius_transaction_types: {
    group: "operations",
    help: "Transaction types the Helius webhook subscribes to (ANY = every trade), comma-separated.",
  },
};

export type ConfigFieldKind =
  | { kind: "number"; integer: boolean }
  | { kind: "enum"; options: string[] }
  | { kind: "boolean" }
  | { kind: "list" }
  /** Free text (a chat id, a URL); `nullable` fields accept an empty box as "not set". */
  | { kind: "text"; nullable: boolean };

export interface ConfigFieldSpec {
  key: keyof EditableConfig;
  group: ConfigGroup;
  help: string;
  input: ConfigFieldKind;
  /** The accepted range in words, from the schema: "> 0 and ≤ 1000000000", "integer 0 to 2592000". */
  range: string;
  min?: number;
  max?: number;
}

type JsonSchema = {
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: { pattern?: string };
  anyOf?: JsonSchema[];
  format?: string;
};

/** `X.nullable()` is `{anyOf: [X, {type: "null"}]}` in JSON Schema: the non-null branch carries the rule. */
function unwrapNullable(s: JsonSchema): { s: JsonSchema; nullable: boolean } {
  const branches = s.anyOf?.filter((b) => b.type !== "null");
  return branches && branches.length === 1 && branches[0] ? { s: branches[0], nullable: true } : { s, nullable: false };
}

function rangeWords(schema: JsonSchema): string {
  const { s, nullable } = unwrapNullable(schema);
  if (s.type === "string" && !s.enum) {
    const what = s.format === "uri" ? "an http(s) URL" : "text";
    return nullable ? `${what}, or empty for none` : what;
  }
  if (s.enum) return `one of ${s.enum.join(", ")}`;
  if (s.type === "boolean") return "yes or no";
  if (s.type === "array") return `${s.minItems ?? 0} to ${s.maxItems ?? "any"} names (A-Z and _)`;
  const lo =
    s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : "";
  const hi =
    s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined ? `≤ ${s.maximum}` : "";
  const bounds = [lo, hi].filter(Boolean).join(" and ");
  return s.type === "integer" ? `integer ${bounds}` : bounds;
}

function kindOf(schema: JsonSchema): ConfigFieldKind {
  const { s, nullable } = unwrapNullable(schema);
  if (s.type === "string" && !s.enum) return { kind: "text", nullable };
  if (s.enum) return { kind: "enum", options: s.enum };
  if (s.type === "boolean") return { kind: "boolean" };
  if (s.type === "array") return { kind: "list" };
  return { kind: "number", integer: s.type === "integer" };
}

/** Every editable field, in schema order, with its group, help, input kind and range (from the schema). */
export const CONFIG_FIELDS: ConfigFieldSpec[] = (
  Object.keys(EditableConfigSchema.shape) as (keyof EditableConfig)[]
).map((key) => {
  const s = z.toJSONSchema(EditableConfigSchema.shape[key]) as JsonSchema;
  return {
    key,
    ...CONFIG_FIELD_DOCS[key],
    input: kindOf(s),
    range: rangeWords(s),
    min: s.minimum ?? s.exclusiveMinimum,
    max: s.maximum ?? s.exclusiveMaximum,
  };
});

/** Form text → the JSON value the API validates; text that is not a number stays text, so the API refuses it. */
export function configValueOf(spec: ConfigFieldSpec, raw: string): unknown {
  const t = raw.trim();
  switch (spec.input.kind) {
    case "number":
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
    case "boolean":
      return t === "true" ? true : t === "false" ? false : t;
    case "list":
      return t
        .split(/[\s,]+/)
        .map((x) => x.trim())
        .filter(Boolean);
    case "text":
      return t === "" && spec.input.nullable ? null : t;
    default:
      return t;
  }
}
