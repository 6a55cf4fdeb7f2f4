import { z } from "@hono/zod-openapi";
import { NOTIFY_SEVERITIES, PRIORITY_FEE_MODES, SIZING_MODES } from "./vocabulary";

/**
 * The operator-editable trading parameters (DESIGN §3) with their accepted ranges.
 * Helius sync state lives in the same row but is written only by the sync job (see CONFIG_READONLY).
 */
const pct = (max = 100) => z.number().min(0).max(max);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The longest mint cooldown the config accepts: how far back the SwapQueue's book must know every close. */
export const MAX_MINT_COOLDOWN_SECONDS = 30 * 86400;

export const EditableConfigSchema = z
  .object({
    capital_usd: z.number().positive().max(1e9),
    position_sizing_mode: z.enum(SIZING_MODES),
    fixed_position_usd: z.number().positive().max(1e7),
    fixed_position_sol: z.number().positive().max(1e5),
    risk_per_trade_percent: z.number().positive().max(100),
    capital_allocation_percent: z.number().positive().max(100),
    leader_ratio: z.number().positive().max(10),
    min_position_usd: z.number().min(0).max(1e7),
    max_position_usd: z.number().positive().max(1e7),
    min_leader_trade_sol: z.number().min(0).max(1e6),
    max_leader_trade_sol: z.number().positive().max(1e6),
    allow_rebuys: z.boolean(),
    rebuy_size_percent: z.number().positive().max(100),
    mint_cooldown_seconds: int(0, MAX_MINT_COOLDOWN_SECONDS),
    max_open_positions: int(1, 1000),
    max_total_exposure_usd: z.number().positive().max(1e9),
    safety_check_enabled: z.boolean(),
    safety_threshold: z.number().min(0).max(1),
    min_liquidity_usd: z.number().min(0).max(1e10),
    max_top10_holder_percent: pct(),
    min_token_age_hours: z
      .number()
      .min(0)
      .max(24 * 365),
    max_transfer_fee_bps: int(0, 10000),
    token_cache_ttl_seconds: int(60, 7 * 86400),
    max_signal_age_seconds: int(1, 3600),
    slippage_bps: int(1, 5000),
    simulated_slippage_bps: int(0, 5000),
    simulation_quotes_enabled: z.boolean(),
    swap_min_spacing_ms: int(0, 60000),
    // Up to Jupiter's Pro tier (150 requests/s); at least one swap every 100 s.
    jupiter_swaps_per_second: z.number().min(0.01).max(150),
    jupiter_swap_burst: int(1, 100),
    max_swap_retries: int(0, 10),
    max_slippage_bps: int(1, 5000),
    priority_fee_mode: z.enum(PRIORITY_FEE_MODES),
    // 0.1 SOL: far above any sane priority fee; a typo of an extra zero is refused.
    priority_fee_lamports: int(0, 100_000_000),
    priority_fee_max_lamports: int(0, 100_000_000),
    skip_preflight: z.boolean(),
    sol_fee_reserve: z.number().min(0).max(100),
    live_trading_enabled: z.boolean(),
    max_drawdown_percent: z.number().positive().max(100),
    min_win_rate_percent: pct(),
    win_rate_window: int(1, 1000),
    consecutive_loss_limit: int(1, 100),
    poll_urgent_seconds: int(5, 3600),
    poll_active_seconds: int(5, 3600),
    poll_stable_seconds: int(5, 3600),
    near_trigger_percent: z.number().positive().max(50),
    price_max_age_seconds: int(10, 3600),
    funded_threshold_sol: z.number().min(0).max(1e6),
    portfolio_stale_seconds: int(10, 30 * 86400),
    live_min_trades: int(0, 100_000),
    live_min_win_rate_percent: pct(),
    webhook_silence_alert_minutes: int(5, 30 * 1440),
    retention_days: int(7, 3650),
    reconciliation_tolerance_percent: pct(50),
    max_subrequests_per_invocation: int(10, 1000),
    funding_execution_enabled: z.boolean(),
    max_funding_transfer_sol: z.number().positive().max(1e4),
    notify_min_severity: z.enum(NOTIFY_SEVERITIES),
    notify_trade_events: z.boolean(),
    notify_daily_summary: z.boolean(),
    // A numeric chat id (negative for groups) or a public @channel name, as sendMessage's chat_id accepts.
    telegram_chat_id: z
      .string()
      .regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, "a numeric chat id or an @channel name")
      .nullable(),
    notify_webhook_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable(),
    // Plan limits (Helius Free: 1M credits/month; Jupiter Free: 60 requests/min; DexScreener tokens: 300/min).
    helius_events_per_day_limit: int(1, 1e9),
    helius_credits_per_month_limit: int(1, 1e10),
    jupiter_price_requests_per_minute_limit: int(1, 1e6),
    jupiter_swap_requests_per_minute_limit: int(1, 1e6),
    rugcheck_requests_per_minute_limit: int(1, 1e6),
    dexscreener_requests_per_minute_limit: int(1, 1e6),
    upstream_429_per_minute_limit: int(1, 1e6),
    helius_transaction_types: z
      .array(z.string().regex(/^[A-Z_]+$/))
      .min(1)
      .max(100),
  })
  .openapi("EditableConfig");

export type EditableConfig = z.infer<typeof EditableConfigSchema>;

/** Cross-field rules a range check alone cannot express. Returns "field: message" problems. */
export function configConsistencyProblems(c: EditableConfig): string[] {
  const problems: string[] = [];
  if (c.min_position_usd > c.max_position_usd) problems.push("min_position_usd: must not exceed max_position_usd");
  if (c.min_leader_trade_sol > c.max_leader_trade_sol)
    problems.push("min_leader_trade_sol: must not exceed max_leader_trade_sol");
  if (!(c.poll_urgent_seconds <= c.poll_active_seconds && c.poll_active_seconds <= c.poll_stable_seconds))
    problems.push("poll_urgent_seconds: polling intervals must satisfy urgent <= active <= stable");
  if (c.slippage_bps > c.max_slippage_bps) problems.push("slippage_bps: must not exceed max_slippage_bps");
  return problems;
}

export const ConfigSchema = EditableConfigSchema.extend({
  helius_webhook_id: z.string().nullable(),
  helius_last_sync_at: z.string().nullable(),
  helius_last_sync_status: z.string().nullable(),
  helius_last_sync_error: z.string().nullable(),
  updated_at: z.string(),
}).openapi("Config");

export type Config = z.infer<typeof ConfigSchema>;
