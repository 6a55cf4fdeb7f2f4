/**
 * The whole relational model of WallTrack (D1 via Drizzle).
 *
 * Conventions: snake_case columns; timestamps are ISO-8601 UTC text with milliseconds
 * (`2026-11-21T08:00:00.000Z`, the format of `Date#toISOString`, so they sort as text);
 * token amounts are base units as integer text (u64 does not fit a JS number); prices and USD are REAL;
 * booleans are INTEGER 0/1; JSON documents are TEXT. Enums are closed by CHECK constraints.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
// The domain owns its vocabulary (src/domain/vocabulary.ts); the schema builds its CHECK constraints from it
// and re-exports it, so that code reading the relational model keeps one import.
import {
  BREAKER_EVENT_TYPES,
  BREAKER_TRIGGERS,
  EXIT_REASONS,
  FUNDING_STATUSES,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  NOTIFICATION_STATUSES,
  NOTIFY_SEVERITIES,
  ORDER_PRIORITIES,
  ORDER_SIDES,
  ORDER_STATUSES,
  PERFORMANCE_PERIODS,
  PORTFOLIO_STATUSES,
  POSITION_STATUSES,
  PRIORITY_FEE_MODES,
  RECONCILIATION_FINDING_KINDS,
  RECONCILIATION_RUN_STATUSES,
  REFRESH_RUN_STATUSES,
  SIGNAL_TYPES,
  SIZING_MODES,
  SYNC_STATUSES,
  WALLET_MODES,
} from "../domain/vocabulary";

const nowIso = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const createdAt = () => text("created_at").notNull().default(nowIso);
const updatedAt = () => text("updated_at").notNull().default(nowIso);
const bool = (name: string) => integer(name, { mode: "boolean" });

/** `col IN ('a','b')` for CHECK constraints built from the same tuples the TypeScript types use. */
const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(", ")})`);

// The vocabulary, re-exported so code reading the relational model keeps one import.
export * from "../domain/vocabulary";

// ---------------------------------------------------------------------------------------------
// Runtime configuration (DESIGN §3): one row, id = 1. Every accepted change is copied to history.
// ---------------------------------------------------------------------------------------------
export const config = sqliteTable(
  "config",
  {
    id: integer("id").primaryKey().default(1),
    // capital and sizing
    capital_usd: real("capital_usd").notNull().default(1000),
    position_sizing_mode: text("position_sizing_mode", { enum: SIZING_MODES }).notNull().default("fixed_usd"),
    fixed_position_usd: real("fixed_position_usd").notNull().default(50),
    fixed_position_sol: real("fixed_position_sol").notNull().default(0.25),
    risk_per_trade_percent: real("risk_per_trade_percent").notNull().default(2),
    // percent_capital sizing: capital × this % when the wallet sets no allocation of its own (seed formula)
    capital_allocation_percent: real("capital_allocation_percent").notNull().default(5),
    leader_ratio: real("leader_ratio").notNull().default(0.1),
    min_position_usd: real("min_position_usd").notNull().default(5),
    max_position_usd: real("max_position_usd").notNull().default(200),
    // copy rules (defaults; a wallet may override)
    min_leader_trade_sol: real("min_leader_trade_sol").notNull().default(0.1),
    max_leader_trade_sol: real("max_leader_trade_sol").notNull().default(100),
    allow_rebuys: bool("allow_rebuys").notNull().default(false),
    rebuy_size_percent: real("rebuy_size_percent").notNull().default(50),
    mint_cooldown_seconds: integer("mint_cooldown_seconds").notNull().default(3600),
    max_open_positions: integer("max_open_positions").notNull().default(10),
    max_total_exposure_usd: real("max_total_exposure_usd").notNull().default(1000),
    // token safety
    safety_check_enabled: bool("safety_check_enabled").notNull().default(true),
    safety_threshold: real("safety_threshold").notNull().default(0.6),
    min_liquidity_usd: real("min_liquidity_usd").notNull().default(50000),
    max_top10_holder_percent: real("max_top10_holder_percent").notNull().default(80),
    min_token_age_hours: real("min_token_age_hours").notNull().default(24),
    max_transfer_fee_bps: integer("max_transfer_fee_bps").notNull().default(100),
    token_cache_ttl_seconds: integer("token_cache_ttl_seconds").notNull().default(3600),
    // signals and swaps
    max_signal_age_seconds: integer("max_signal_age_seconds").notNull().default(60),
    slippage_bps: integer("slippage_bps").notNull().default(300),
    simulated_slippage_bps: integer("simulated_slippage_bps").notNull().default(100),
    // Simulated fills priced by a Jupiter quote (its price impact) when a spare swap token and a fast answer
    // are there; simulated_slippage_bps otherwise (issue 11).
    simulation_quotes_enabled: bool("simulation_quotes_enabled").notNull().default(true),
    // Deprecated as a rate limit (issue 10): an optional minimum gap between any two executions, 0 = none.
    // Upstream swap calls are limited by the token bucket below; simulated fills wait for neither.
    swap_min_spacing_ms: integer("swap_min_spacing_ms").notNull().default(0),
    // Jupiter's Free tier allows 1 request/s per key (keyless 0.5/s); one swap is a quote and a swap call.
    jupiter_swaps_per_second: real("jupiter_swaps_per_second").notNull().default(0.5),
    jupiter_swap_burst: integer("jupiter_swap_burst").notNull().default(2),
    max_swap_retries: integer("max_swap_retries").notNull().default(3),
    // live execution (issue 11): a re-quote after slippage never asks for more than this
    max_slippage_bps: integer("max_slippage_bps").notNull().default(1000),
    // Jupiter priority fee: `fixed` = priority_fee_lamports exactly; `auto` = Jupiter's estimate (veryHigh)
    // capped at priority_fee_max_lamports.
    priority_fee_mode: text("priority_fee_mode", { enum: PRIORITY_FEE_MODES }).notNull().default("auto"),
    priority_fee_lamports: integer("priority_fee_lamports").notNull().default(100000),
    priority_fee_max_lamports: integer("priority_fee_max_lamports").notNull().default(1000000),
    // Jupiter's /swap already simulates; skipping the node's preflight saves a round trip.
    skip_preflight: bool("skip_preflight").notNull().default(false),
    // SOL a live entry always leaves in the trading wallet for fees, rent and exits.
    sol_fee_reserve: real("sol_fee_reserve").notNull().default(0.05),
    // Master switch: no wallet goes live and no live order runs while it is off.
    live_trading_enabled: bool("live_trading_enabled").notNull().default(false),
    // circuit breaker
    max_drawdown_percent: real("max_drawdown_percent").notNull().default(20),
    min_win_rate_percent: real("min_win_rate_percent").notNull().default(40),
    win_rate_window: integer("win_rate_window").notNull().default(20),
    consecutive_loss_limit: integer("consecutive_loss_limit").notNull().default(3),
    // adaptive price polling
    poll_urgent_seconds: integer("poll_urgent_seconds").notNull().default(20),
    poll_active_seconds: integer("poll_active_seconds").notNull().default(30),
    poll_stable_seconds: integer("poll_stable_seconds").notNull().default(60),
    near_trigger_percent: real("near_trigger_percent").notNull().default(5),
    price_max_age_seconds: integer("price_max_age_seconds").notNull().default(300),
    // portfolio
    funded_threshold_sol: real("funded_threshold_sol").notNull().default(0.25),
    portfolio_stale_seconds: integer("portfolio_stale_seconds").notNull().default(300),
    // live gate (issue 14): a wallet goes live only after an evaluation or enough simulated copies
    live_min_trades: integer("live_min_trades").notNull().default(10),
    live_min_win_rate_percent: real("live_min_win_rate_percent").notNull().default(50),
    // operations (issue 12): alert thresholds and retention
    webhook_silence_alert_minutes: integer("webhook_silence_alert_minutes").notNull().default(2880),
    retention_days: integer("retention_days").notNull().default(90),
    // Reconciliation (issue 12): held vs expected token amounts may differ by this share before it is a finding
    reconciliation_tolerance_percent: real("reconciliation_tolerance_percent").notNull().default(1),
    // Outbound requests one Worker invocation may make (free plan 50, paid 1000; 45 leaves headroom).
    max_subrequests_per_invocation: integer("max_subrequests_per_invocation").notNull().default(45),
    // Scheduled fundings: executed by the cron only when switched on, never above the per-transfer cap.
    funding_execution_enabled: bool("funding_execution_enabled").notNull().default(false),
    max_funding_transfer_sol: real("max_funding_transfer_sol").notNull().default(1),
    // Notifications (issue 12): alerts at or above this severity, and trade events, go to the configured
    // channels (a channel is on when its target is set; its secret comes from env).
    notify_min_severity: text("notify_min_severity", { enum: NOTIFY_SEVERITIES }).notNull().default("warning"),
    notify_trade_events: bool("notify_trade_events").notNull().default(true),
    notify_daily_summary: bool("notify_daily_summary").notNull().default(true),
    telegram_chat_id: text("telegram_chat_id"),
    notify_webhook_url: text("notify_webhook_url"),
    // Upstream plan limits (issue 12): usage counted by the clients is compared with these; 80 % alerts.
    helius_events_per_day_limit: integer("helius_events_per_day_limit").notNull().default(100000),
    helius_credits_per_month_limit: integer("helius_credits_per_month_limit").notNull().default(1000000),
    jupiter_price_requests_per_minute_limit: integer("jupiter_price_requests_per_minute_limit").notNull().default(60),
    jupiter_swap_requests_per_minute_limit: integer("jupiter_swap_requests_per_minute_limit").notNull().default(60),
    rugcheck_requests_per_minute_limit: integer("rugcheck_requests_per_minute_limit").notNull().default(60),
    dexscreener_requests_per_minute_limit: integer("dexscreener_requests_per_minute_limit").notNull().default(300),
    upstream_429_per_minute_limit: integer("upstream_429_per_minute_limit").notNull().default(10),
    // Helius address sync (ADR-001): state written by the sync job, not by operators
    helius_transaction_types: text("helius_transaction_types").notNull().default('["ANY"]'),
    helius_webhook_id: text("helius_webhook_id"),
    helius_last_sync_at: text("helius_last_sync_at"),
    helius_last_sync_status: text("helius_last_sync_status"),
    helius_last_sync_error: text("helius_last_sync_error"),
    updated_at: updatedAt(),
  },
  () => [
    check("config_singleton", sql.raw("id = 1")),
    check("config_sizing_mode", oneOf("position_sizing_mode", SIZING_MODES)),
  ],
);

/** Append-only copy of every accepted config change (the seed's "JSON backup on every change"). */
export const configHistory = sqliteTable("config_history", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  changed_fields: text("changed_fields").notNull(), // JSON array of names
  previous_values: text("previous_values").notNull(), // JSON object: the full config before
  new_values: text("new_values").notNull(), // JSON object: the full config after
  changed_by: text("changed_by").notNull().default("api"),
  created_at: createdAt(),
});

// ---------------------------------------------------------------------------------------------
// Exit-strategy catalog. A position uses a template merged with its own JSON override.
// ---------------------------------------------------------------------------------------------
export const exitStrategies = sqliteTable(
  "exit_strategies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    is_default: bool("is_default").notNull().default(false),
    stop_loss_percent: real("stop_loss_percent"), // null = no stop-loss
    trailing_stop_percent: real("trailing_stop_percent"), // drawdown from peak, null = off
    trailing_activation_percent: real("trailing_activation_percent"), // gain that arms the trail
    scaling_levels: text("scaling_levels").notNull().default("[]"), // JSON [{multiple, sell_percent}]
    mirror_exit_enabled: bool("mirror_exit_enabled").notNull().default(true),
    max_hold_minutes: integer("max_hold_minutes"), // null = no time exit
    take_profit_table: text("take_profit_table").notNull().default("[]"), // JSON [{after_minutes, min_profit_percent}]
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("exit_strategies_name_unique").on(t.name),
    // At most one default at the database level; the API keeps it exactly one.
    uniqueIndex("exit_strategies_one_default").on(t.is_default).where(sql.raw("is_default = 1")),
  ],
);

// ---------------------------------------------------------------------------------------------
// Watchlist: the leaders whose trades are copied.
// ---------------------------------------------------------------------------------------------
export const wallets = sqliteTable(
  "wallets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    address: text("address").notNull(),
    label: text("label"),
    mode: text("mode", { enum: WALLET_MODES }).notNull().default("simulation"),
    is_active: bool("is_active").notNull().default(true),
    exit_strategy_id: integer("exit_strategy_id").references(() => exitStrategies.id),
    capital_allocation_percent: real("capital_allocation_percent"),
    discovery_source: text("discovery_source"),
    discovery_date: text("discovery_date"),
    discovery_notes: text("discovery_notes"),
    initial_win_rate_percent: real("initial_win_rate_percent"),
    initial_trades_observed: integer("initial_trades_observed"),
    // the last evaluation (POST /wallets/{id}/evaluate): what the live gate trusts, not the editable fields above
    evaluated_at: text("evaluated_at"),
    evaluation_strategy_id: integer("evaluation_strategy_id").references(() => exitStrategies.id),
    evaluation_source: text("evaluation_source"), // recorded | backfill
    evaluation_trades: integer("evaluation_trades"),
    evaluation_win_rate_percent: real("evaluation_win_rate_percent"),
    // copy-rule overrides; null = use the config default
    min_leader_trade_sol: real("min_leader_trade_sol"),
    max_leader_trade_sol: real("max_leader_trade_sol"),
    allow_rebuys: bool("allow_rebuys"),
    rebuy_size_percent: real("rebuy_size_percent"),
    mint_cooldown_seconds: integer("mint_cooldown_seconds"),
    position_sizing_mode: text("position_sizing_mode", { enum: SIZING_MODES }),
    fixed_position_usd: real("fixed_position_usd"),
    leader_ratio: real("leader_ratio"),
    // Helius sync (ADR-001)
    helius_sync_status: text("helius_sync_status", { enum: SYNC_STATUSES }).notNull().default("pending"),
    helius_synced_at: text("helius_synced_at"),
    helius_sync_error: text("helius_sync_error"),
    last_signal_at: text("last_signal_at"),
    deactivated_at: text("deactivated_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("wallets_address_unique").on(t.address),
    index("wallets_active_idx").on(t.is_active),
    check("wallets_mode", oneOf("mode", WALLET_MODES)),
    check("wallets_sync_status", oneOf("helius_sync_status", SYNC_STATUSES)),
    check("wallets_sizing_mode", sql`position_sizing_mode IS NULL OR ${oneOf("position_sizing_mode", SIZING_MODES)}`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Token metadata and safety cache (1 h TTL by default).
// ---------------------------------------------------------------------------------------------
export const tokens = sqliteTable("tokens", {
  mint_address: text("mint_address").primaryKey(),
  name: text("name"),
  symbol: text("symbol"),
  decimals: integer("decimals"),
  token_program: text("token_program"),
  // safety score parts (0.25 each) and their inputs
  safety_score: real("safety_score"),
  liquidity_usd: real("liquidity_usd"),
  top10_holder_percent: real("top10_holder_percent"),
  token_age_hours: real("token_age_hours"),
  pair_created_at: text("pair_created_at"),
  // the pair the safety check chose (DexScreener's most liquid pair with this mint as base)
  dex_name: text("dex_name"),
  pair_address: text("pair_address"),
  mint_authority: text("mint_authority"),
  freeze_authority: text("freeze_authority"),
  rugcheck_score: real("rugcheck_score"),
  rugcheck_risk_level: text("rugcheck_risk_level"),
  is_rugged: bool("is_rugged"),
  transfer_fee_bps: integer("transfer_fee_bps"),
  contract_flags: text("contract_flags"), // JSON array of reasons the contract check failed
  check_liquidity_passed: bool("check_liquidity_passed"),
  check_holders_passed: bool("check_holders_passed"),
  check_contract_passed: bool("check_contract_passed"),
  check_age_passed: bool("check_age_passed"),
  safety_source: text("safety_source"),
  safety_checked_at: text("safety_checked_at"),
  price_usd: real("price_usd"),
  metadata_updated_at: text("metadata_updated_at"),
  created_at: createdAt(),
  updated_at: updatedAt(),
});

// ---------------------------------------------------------------------------------------------
// Signals: every watched-wallet transaction, kept with its decision and timings.
// ---------------------------------------------------------------------------------------------
export const signals = sqliteTable(
  "signals",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    transaction_signature: text("transaction_signature").notNull(),
    wallet_id: integer("wallet_id").references(() => wallets.id),
    wallet_address: text("wallet_address").notNull(),
    signal_type: text("signal_type", { enum: SIGNAL_TYPES }).notNull(),
    token_mint: text("token_mint"),
    quote_mint: text("quote_mint"),
    token_amount: text("token_amount"), // base units
    token_decimals: integer("token_decimals"),
    quote_amount: text("quote_amount"), // base units of the quote mint
    sol_amount: real("sol_amount"), // trade size in SOL (quote converted)
    usd_amount: real("usd_amount"),
    price_sol: real("price_sol"), // per whole token
    price_usd: real("price_usd"),
    leader_balance_before: text("leader_balance_before"), // base units; the mirror-exit fraction's denominator
    helius_type: text("helius_type"),
    helius_source: text("helius_source"),
    slot: integer("slot"),
    block_time: text("block_time"),
    filtered: bool("filtered").notNull().default(false),
    filter_reason: text("filter_reason"),
    // JSON: the numbers the decision was taken on (value and limit of the failed check, issue 13)
    filter_detail: text("filter_detail"),
    safety_score: real("safety_score"),
    entry_usd: real("entry_usd"), // size decided for a copied BUY
    order_id: text("order_id"), // the entry (BUY) or mirror-exit order it led to
    webhook_received_at: text("webhook_received_at").notNull(),
    processed_at: text("processed_at"),
    processing_duration_ms: real("processing_duration_ms"),
    raw_payload: text("raw_payload").notNull(),
    created_at: createdAt(),
  },
  (t) => [
    // One signal per transaction, whatever the redelivery (DESIGN §4).
    uniqueIndex("signals_signature_unique").on(t.transaction_signature),
    index("signals_recent_idx").on(t.created_at),
    index("signals_wallet_idx").on(t.wallet_id, t.created_at),
    index("signals_mint_idx").on(t.token_mint),
    check("signals_type", oneOf("signal_type", SIGNAL_TYPES)),
  ],
);

// ---------------------------------------------------------------------------------------------
// Signal outcomes: later facts about a signal (the queue refused its entry, ...), insert-only (issue 16: a
// signal row is written once; what happens to it afterwards is a row here, never an edit of the signal).
// ---------------------------------------------------------------------------------------------
export const SIGNAL_OUTCOME_KINDS = ["filtered"] as const;
export const signalOutcomes = sqliteTable(
  "signal_outcomes",
  {
    signal_id: integer("signal_id").notNull(),
    kind: text("kind", { enum: SIGNAL_OUTCOME_KINDS }).notNull(),
    reason: text("reason"),
    order_id: text("order_id"),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.signal_id, t.kind] }),
    check("signal_outcomes_kind", oneOf("kind", SIGNAL_OUTCOME_KINDS)),
  ],
);

// ---------------------------------------------------------------------------------------------
// Orders: every swap intent, persisted before any upstream call (DESIGN §1).
// ---------------------------------------------------------------------------------------------
export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    idempotency_key: text("idempotency_key").notNull(), // signal id, or position id + rule
    position_id: text("position_id"),
    signal_id: integer("signal_id").references(() => signals.id),
    // The signal's transaction signature (issue 10): an entry may be queued before its signal row is in D1;
    // signal_id is then resolved from this, at the write or by the signals insert trigger, whichever is later.
    signal_signature: text("signal_signature"),
    wallet_id: integer("wallet_id").references(() => wallets.id),
    token_mint: text("token_mint").notNull(),
    side: text("side", { enum: ORDER_SIDES }).notNull(),
    priority: text("priority", { enum: ORDER_PRIORITIES }).notNull(),
    mode: text("mode", { enum: WALLET_MODES }).notNull(),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("pending"),
    reason: text("reason").notNull(), // "entry" or an exit reason
    requested_amount: text("requested_amount"), // base units of what is sold (lamports for buys)
    requested_usd: real("requested_usd"),
    sell_fraction: real("sell_fraction"), // for exits: share of the remaining amount
    expected_price_usd: real("expected_price_usd"),
    expected_out_amount: text("expected_out_amount"),
    executed_price_usd: real("executed_price_usd"),
    executed_in_amount: text("executed_in_amount"),
    executed_out_amount: text("executed_out_amount"),
    executed_usd: real("executed_usd"),
    slippage_bps: real("slippage_bps"),
    attempts: integer("attempts").notNull().default(0),
    last_error: text("last_error"),
    cancel_reason: text("cancel_reason"),
    tx_signature: text("tx_signature"),
    last_valid_block_height: integer("last_valid_block_height"),
    // The Jupiter quote's contextSlot (live swaps, and simulated fills priced by a quote: null when a simulated
    // fill used simulated_slippage_bps), then, live only, the slot the transaction landed in and the fee paid.
    quote_context_slot: integer("quote_context_slot"),
    landed_slot: integer("landed_slot"),
    priority_fee_lamports: integer("priority_fee_lamports"),
    // The attempt that filled: from its start in the SwapQueue to the fill (simulated or live)
    execution_duration_ms: real("execution_duration_ms"),
    // scaling_out exits: the index of the level in the strategy's scaling_levels (as in scaling_levels_hit)
    scaling_level: real("scaling_level"), // the level's multiple (2 = the 2x level)
    requested_at: text("requested_at").notNull(),
    executed_at: text("executed_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("orders_idempotency_unique").on(t.idempotency_key),
    index("orders_pending_idx").on(t.status, t.priority, t.requested_at),
    index("orders_position_idx").on(t.position_id),
    index("orders_signal_signature_idx").on(t.signal_signature),
    check("orders_side", oneOf("side", ORDER_SIDES)),
    check("orders_priority", oneOf("priority", ORDER_PRIORITIES)),
    check("orders_mode", oneOf("mode", WALLET_MODES)),
    check("orders_status", oneOf("status", ORDER_STATUSES)),
  ],
);

// ---------------------------------------------------------------------------------------------
// Positions: the read model of PositionActor (its one writer).
// ---------------------------------------------------------------------------------------------
export const positions = sqliteTable(
  "positions",
  {
    id: text("id").primaryKey(),
    wallet_id: integer("wallet_id").references(() => wallets.id),
    source_wallet_address: text("source_wallet_address").notNull(),
    signal_id: integer("signal_id").references(() => signals.id),
    signal_signature: text("signal_signature"), // as on orders: resolves signal_id once the signal row exists
    entry_order_id: text("entry_order_id"),
    token_mint: text("token_mint").notNull(),
    token_decimals: integer("token_decimals").notNull(),
    mode: text("mode", { enum: WALLET_MODES }).notNull(),
    status: text("status", { enum: POSITION_STATUSES }).notNull().default("open"),
    exit_strategy_id: integer("exit_strategy_id").references(() => exitStrategies.id),
    strategy_override: text("strategy_override"), // JSON, merged over the template
    // entry
    entry_price_usd: real("entry_price_usd").notNull(),
    entry_price_sol: real("entry_price_sol"),
    entry_amount: text("entry_amount").notNull(), // base units
    entry_cost_usd: real("entry_cost_usd").notNull(),
    entry_cost_sol: real("entry_cost_sol"),
    // current state
    current_amount: text("current_amount").notNull(), // base units
    current_price_usd: real("current_price_usd"),
    peak_price_usd: real("peak_price_usd"),
    trailing_active: bool("trailing_active").notNull().default(false),
    scaling_levels_hit: text("scaling_levels_hit").notNull().default("[]"), // JSON array of the multiples of the levels hit
    // PnL breakdown
    unrealized_pnl_usd: real("unrealized_pnl_usd").notNull().default(0),
    realized_pnl_usd: real("realized_pnl_usd").notNull().default(0),
    total_pnl_usd: real("total_pnl_usd").notNull().default(0),
    pnl_percent: real("pnl_percent").notNull().default(0),
    sold_amount: text("sold_amount").notNull().default("0"),
    exit_proceeds_usd: real("exit_proceeds_usd").notNull().default(0),
    avg_exit_price_usd: real("avg_exit_price_usd"),
    exit_reason: text("exit_reason", { enum: EXIT_REASONS }),
    // polling
    price_source: text("price_source"),
    last_price_at: text("last_price_at"),
    next_poll_at: text("next_poll_at"),
    poll_interval_seconds: integer("poll_interval_seconds"),
    opened_at: text("opened_at").notNull(),
    closed_at: text("closed_at"),
    created_at: createdAt(),
    // The PositionActor's state version this row was written from: a late (older) write never lands over it.
    state_version: integer("state_version").notNull().default(0),
    updated_at: updatedAt(),
  },
  (t) => [
    index("positions_status_idx").on(t.status, t.opened_at),
    index("positions_wallet_mint_idx").on(t.source_wallet_address, t.token_mint, t.status),
    index("positions_mint_idx").on(t.token_mint, t.closed_at),
    index("positions_signal_signature_idx").on(t.signal_signature),
    check("positions_mode", oneOf("mode", WALLET_MODES)),
    check("positions_status", oneOf("status", POSITION_STATUSES)),
    check("positions_exit_reason", sql`exit_reason IS NULL OR ${oneOf("exit_reason", EXIT_REASONS)}`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Per-wallet performance, recomputed daily at 00:00 UTC and on demand.
// ---------------------------------------------------------------------------------------------
export const performance = sqliteTable(
  "performance",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    wallet_id: integer("wallet_id")
      .notNull()
      .references(() => wallets.id),
    period: text("period", { enum: PERFORMANCE_PERIODS }).notNull(),
    // simulation and live apart: live PnL is real money and never mixes with paper results
    mode: text("mode", { enum: WALLET_MODES }).notNull().default("simulation"),
    signal_count: integer("signal_count").notNull().default(0),
    filtered_signal_count: integer("filtered_signal_count").notNull().default(0),
    position_count: integer("position_count").notNull().default(0),
    open_position_count: integer("open_position_count").notNull().default(0),
    closed_position_count: integer("closed_position_count").notNull().default(0),
    wins: integer("wins").notNull().default(0),
    losses: integer("losses").notNull().default(0),
    win_rate_percent: real("win_rate_percent"),
    total_pnl_usd: real("total_pnl_usd").notNull().default(0),
    total_pnl_percent: real("total_pnl_percent"), // of the entry cost of the same closed trades
    avg_pnl_usd: real("avg_pnl_usd"),
    avg_win_usd: real("avg_win_usd"),
    avg_loss_usd: real("avg_loss_usd"),
    profit_ratio: real("profit_ratio"), // the seed's: average win ÷ |average loss|
    profit_factor: real("profit_factor"), // gross profit ÷ |gross loss|
    best_trade_usd: real("best_trade_usd"),
    worst_trade_usd: real("worst_trade_usd"),
    best_trade_percent: real("best_trade_percent"),
    worst_trade_percent: real("worst_trade_percent"),
    avg_hold_minutes: real("avg_hold_minutes"),
    longest_win_streak: integer("longest_win_streak").notNull().default(0),
    longest_loss_streak: integer("longest_loss_streak").notNull().default(0),
    current_streak: integer("current_streak").notNull().default(0), // +n wins, -n losses
    computed_at: text("computed_at").notNull(),
  },
  (t) => [
    uniqueIndex("performance_wallet_period_mode_unique").on(t.wallet_id, t.period, t.mode),
    check("performance_period", oneOf("period", PERFORMANCE_PERIODS)),
    check("performance_mode", oneOf("mode", WALLET_MODES)),
  ],
);

/** Immutable trip/reset log of the circuit breaker; its latest row is the breaker's state. */
export const circuitBreakerEvents = sqliteTable(
  "circuit_breaker_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    event_type: text("event_type", { enum: BREAKER_EVENT_TYPES }).notNull(),
    trigger: text("trigger", { enum: BREAKER_TRIGGERS }).notNull(),
    reason: text("reason"),
    metrics_snapshot: text("metrics_snapshot").notNull().default("{}"),
    thresholds_snapshot: text("thresholds_snapshot").notNull().default("{}"),
    // The positions open at the moment of the event (every trip, manual or automatic, and every reset):
    // JSON [{id, token_mint, source_wallet_address, mode, entry_cost_usd, unrealized_pnl_usd, opened_at}]
    open_position_count: integer("open_position_count").notNull().default(0),
    open_positions: text("open_positions").notNull().default("[]"),
    // On a reset: the new entries the breaker blocked while it was open (null on a trip)
    new_positions_blocked: integer("new_positions_blocked"),
    created_at: createdAt(),
  },
  (t) => [
    index("circuit_breaker_events_recent_idx").on(t.created_at),
    check("circuit_breaker_event_type", oneOf("event_type", BREAKER_EVENT_TYPES)),
    check("circuit_breaker_trigger", oneOf("trigger", BREAKER_TRIGGERS)),
  ],
);

// ---------------------------------------------------------------------------------------------
// Portfolio of the operator's own wallets (DESIGN §5): D1 is the cache, Solana the source.
// ---------------------------------------------------------------------------------------------
export const walletInfo = sqliteTable(
  "wallet_info",
  {
    address: text("address").primaryKey(),
    label: text("label"),
    wallet_type: text("wallet_type").notNull().default("launch"),
    status: text("status", { enum: PORTFOLIO_STATUSES }).notNull().default("UNFUNDED"),
    notes: text("notes"),
    first_funded_at: text("first_funded_at"),
    last_balance_sol: real("last_balance_sol"),
    last_balance_lamports: text("last_balance_lamports"),
    launch_count: integer("launch_count").notNull().default(0),
    balance_refreshed_at: text("balance_refreshed_at"),
    holdings_refreshed_at: text("holdings_refreshed_at"),
    funding_refreshed_at: text("funding_refreshed_at"),
    last_refresh_at: text("last_refresh_at"),
    last_refresh_errors: text("last_refresh_errors"), // JSON {part: message}
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  () => [check("wallet_info_status", oneOf("status", PORTFOLIO_STATUSES))],
);

export const tokenHoldings = sqliteTable(
  "token_holdings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    wallet_address: text("wallet_address")
      .notNull()
      .references(() => walletInfo.address, { onDelete: "cascade" }),
    mint_address: text("mint_address").notNull(),
    token_program: text("token_program").notNull(),
    balance: text("balance").notNull(), // base units
    decimals: integer("decimals").notNull(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("token_holdings_wallet_mint_unique").on(t.wallet_address, t.mint_address)],
);

/**
 * Recent transactions of a portfolio wallet (getSignaturesForAddress), the "funding" refresh part.
 * Keyed by (wallet, signature): one transaction often involves two portfolio wallets (a funding
 * transfer from one to the other) and must be listed for both.
 */
export const fundingTransactions = sqliteTable(
  "funding_transactions",
  {
    signature: text("signature").notNull(),
    wallet_address: text("wallet_address")
      .notNull()
      .references(() => walletInfo.address, { onDelete: "cascade" }),
    slot: integer("slot").notNull(),
    block_time: text("block_time"),
    succeeded: bool("succeeded").notNull(),
    memo: text("memo"),
    confirmation_status: text("confirmation_status"),
    // Looked at through Helius's parse API for SOL received (funding_transfers); 0 = still owed.
    transfers_parsed: bool("transfers_parsed").notNull().default(false),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.wallet_address, t.signature] }),
    index("funding_transactions_wallet_idx").on(t.wallet_address, t.slot),
  ],
);

/**
 * SOL received by a portfolio wallet, identified from parsed transactions (Helius `nativeTransfers`):
 * one row per (wallet, transaction, sender), so a redelivered or re-parsed transaction never counts twice.
 */
export const fundingTransfers = sqliteTable(
  "funding_transfers",
  {
    wallet_address: text("wallet_address")
      .notNull()
      .references(() => walletInfo.address, { onDelete: "cascade" }),
    signature: text("signature").notNull(),
    sender: text("sender").notNull(),
    amount_lamports: text("amount_lamports").notNull(), // u64 as integer text
    amount_sol: real("amount_sol").notNull(),
    slot: integer("slot"),
    block_time: text("block_time"),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.wallet_address, t.signature, t.sender] }),
    index("funding_transfers_wallet_idx").on(t.wallet_address, t.block_time),
  ],
);

/**
 * One refresh-all, done in chunks that each stay inside `max_subrequests_per_invocation` (one chunk per
 * invocation: the request, then the PortfolioRefresher's alarms). The cursor is the last wallet done in
 * (created_at, address) order; `chunk_log` keeps each chunk's subrequest count.
 */
export const portfolioRefreshRuns = sqliteTable(
  "portfolio_refresh_runs",
  {
    id: text("id").primaryKey(),
    status: text("status", { enum: REFRESH_RUN_STATUSES }).notNull().default("running"),
    subrequest_budget: integer("subrequest_budget").notNull(),
    wallets_total: integer("wallets_total").notNull(),
    wallets_done: integer("wallets_done").notNull().default(0),
    ok: integer("ok").notNull().default(0),
    partial: integer("partial").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cursor_created_at: text("cursor_created_at"),
    cursor_address: text("cursor_address"),
    chunks: integer("chunks").notNull().default(0),
    subrequests_total: integer("subrequests_total").notNull().default(0),
    max_chunk_subrequests: integer("max_chunk_subrequests").notNull().default(0),
    chunk_log: text("chunk_log").notNull().default("[]"), // JSON [{wallets, subrequests, at}]
    started_at: text("started_at").notNull(),
    updated_at: text("updated_at").notNull(),
    finished_at: text("finished_at"),
  },
  (t) => [
    index("portfolio_refresh_runs_status_idx").on(t.status, t.started_at),
    check("portfolio_refresh_runs_status", oneOf("status", REFRESH_RUN_STATUSES)),
  ],
);

export const scheduledFunding = sqliteTable(
  "scheduled_funding",
  {
    id: text("id").primaryKey(),
    wallet_address: text("wallet_address")
      .notNull()
      .references(() => walletInfo.address, { onDelete: "cascade" }),
    amount_sol: real("amount_sol").notNull(),
    scheduled_for: text("scheduled_for").notNull(),
    source_wallet: text("source_wallet"),
    status: text("status", { enum: FUNDING_STATUSES }).notNull().default("scheduled"),
    notes: text("notes"),
    tx_signature: text("tx_signature"),
    // Execution (src/jobs/funding-execution.ts): the signed transaction is stored with its signature
    // BEFORE it is sent, so a crash is reconciled by signature status and the same bytes, never re-signed.
    amount_lamports: text("amount_lamports"),
    signed_transaction: text("signed_transaction"), // base64 wire transaction
    last_valid_block_height: integer("last_valid_block_height"),
    submitted_at: text("submitted_at"),
    last_checked_at: text("last_checked_at"),
    failure_reason: text("failure_reason"),
    executed_at: text("executed_at"),
    cancelled_at: text("cancelled_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("scheduled_funding_due_idx").on(t.status, t.scheduled_for),
    check("scheduled_funding_status", oneOf("status", FUNDING_STATUSES)),
    check("scheduled_funding_amount", sql`amount_sol > 0`),
  ],
);

export const launches = sqliteTable(
  "launches",
  {
    id: text("id").primaryKey(),
    wallet_address: text("wallet_address")
      .notNull()
      .references(() => walletInfo.address, { onDelete: "cascade" }),
    mint_address: text("mint_address").notNull(),
    name: text("name"),
    ticker: text("ticker"),
    platform: text("platform"),
    tx_signature: text("tx_signature"),
    initial_buy_sol: real("initial_buy_sol"),
    notes: text("notes"),
    launched_at: text("launched_at").notNull(),
    // On-chain confirmation of tx_signature (getSignatureStatuses at each refresh): null = not looked up.
    confirmation_status: text("confirmation_status"),
    chain_error: text("chain_error"),
    chain_checked_at: text("chain_checked_at"),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("launches_mint_unique").on(t.mint_address),
    index("launches_wallet_idx").on(t.wallet_address, t.launched_at),
  ],
);

export type ConfigRow = typeof config.$inferSelect;
export type ExitStrategyRow = typeof exitStrategies.$inferSelect;
export type WalletRow = typeof wallets.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
export type SignalRow = typeof signals.$inferSelect;
export type OrderRow = typeof orders.$inferSelect;
export type PositionRow = typeof positions.$inferSelect;
export type { ExitReason, OrderPriority, WalletMode } from "../domain/vocabulary";

/** One row per cron job run, so the operator can see what ran, when, and how it ended. */
export const JOB_STATUSES = ["running", "ok", "error", "skipped"] as const;
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job: text("job").notNull(),
    cron: text("cron"),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("running"),
    detail: text("detail"), // JSON summary or error message
    started_at: text("started_at").notNull(),
    finished_at: text("finished_at"),
  },
  (t) => [
    index("job_runs_recent_idx").on(t.job, t.started_at),
    check("job_runs_status", oneOf("status", JOB_STATUSES)),
  ],
);

/**
 * Writer locks of jobs that must not overlap (the Helius sync: two concurrent runs would each create
 * a webhook, a paid duplicate delivery). Taken by a conditional insert that only replaces an expired
 * holder, released by its holder; a run that dies leaves a lock that expires on its own.
 */
export const jobLocks = sqliteTable("job_locks", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expires_at: text("expires_at").notNull(), // ISO time, like every timestamp here (compares as text)
});
// ---------------------------------------------------------------------------------------------
// Live-gate overrides (issue 14): each `force` switch of a wallet to live past the gate, with the
// numbers it overrode. Immutable rows; a small audit table of its own until a general audit trail exists.
// ---------------------------------------------------------------------------------------------
export const liveGateOverrides = sqliteTable(
  "live_gate_overrides",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    wallet_id: integer("wallet_id"),
    wallet_address: text("wallet_address").notNull(),
    evaluation_trades: integer("evaluation_trades"),
    evaluation_win_rate_percent: real("evaluation_win_rate_percent"),
    simulation_trades: integer("simulation_trades").notNull(),
    simulation_win_rate_percent: real("simulation_win_rate_percent"),
    required_trades: integer("required_trades").notNull(),
    required_win_rate_percent: real("required_win_rate_percent").notNull(),
    detail: text("detail").notNull(),
    created_at: createdAt(),
  },
  (t) => [index("live_gate_overrides_wallet_idx").on(t.wallet_address, t.created_at)],
);

// ---------------------------------------------------------------------------------------------
// Operations (issue 12): heartbeats, upstream health, alerts, audit trail.
// ---------------------------------------------------------------------------------------------
export const HEARTBEAT_KINDS = ["cron", "alarm"] as const;
export const HEARTBEAT_OUTCOMES = ["running", "ok", "error", "skipped"] as const;

/**
 * Last run of every cron job and actor alarm loop (one row per component, upserted). Actor loops of
 * many objects (every PositionActor) share one row: the status asks "is the loop alive", not "which one".
 */
export const heartbeats = sqliteTable(
  "heartbeats",
  {
    component: text("component").primaryKey(),
    kind: text("kind", { enum: HEARTBEAT_KINDS }).notNull(),
    last_started_at: text("last_started_at").notNull(),
    last_finished_at: text("last_finished_at"),
    last_duration_ms: integer("last_duration_ms"),
    last_outcome: text("last_outcome", { enum: HEARTBEAT_OUTCOMES }).notNull(),
    last_error: text("last_error"),
    last_ok_at: text("last_ok_at"),
    consecutive_failures: integer("consecutive_failures").notNull().default(0),
    runs: integer("runs").notNull().default(0),
    updated_at: updatedAt(),
  },
  () => [
    check("heartbeats_kind", oneOf("kind", HEARTBEAT_KINDS)),
    check("heartbeats_outcome", oneOf("last_outcome", HEARTBEAT_OUTCOMES)),
  ],
);

/** Per upstream: the outcomes of its last calls (newest last, at most 10) and its circuit state. */
export const upstreamHealth = sqliteTable("upstream_health", {
  service: text("service").primaryKey(),
  recent: text("recent").notNull().default("[]"), // JSON array of 0/1 (1 = success), newest last
  last_success_at: text("last_success_at"),
  last_failure_at: text("last_failure_at"),
  last_error: text("last_error"),
  open_until: text("open_until"), // breaker open (calls skipped) until this time
  updated_at: updatedAt(),
});

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export const ALERT_STATUSES = ["open", "acknowledged", "resolved"] as const;

/**
 * Operator alerts, deduplicated by (kind, subject) while not resolved: a repeat bumps `count` and
 * `last_seen_at`; once resolved, the same condition opens a new row.
 */
export const alerts = sqliteTable(
  "alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    message: text("message").notNull(),
    detail: text("detail").notNull().default("{}"), // JSON
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("open"),
    count: integer("count").notNull().default(1),
    first_seen_at: text("first_seen_at").notNull(),
    last_seen_at: text("last_seen_at").notNull(),
    acknowledged_at: text("acknowledged_at"),
    acknowledged_by: text("acknowledged_by"),
    resolved_at: text("resolved_at"),
    resolved_by: text("resolved_by"),
  },
  (t) => [
    uniqueIndex("alerts_active_unique").on(t.kind, t.subject).where(sql.raw("status != 'resolved'")),
    index("alerts_recent_idx").on(t.status, t.last_seen_at),
    check("alerts_severity", oneOf("severity", ALERT_SEVERITIES)),
    check("alerts_status", oneOf("status", ALERT_STATUSES)),
  ],
);

/**
 * Conditions seen by the monitor that become an alert only once they have lasted (a position priced by a
 * fallback for more than 5 min): when each was first seen. A condition that clears is deleted.
 */
export const alertCandidates = sqliteTable(
  "alert_candidates",
  {
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    first_seen_at: text("first_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.subject] })],
);

/** Every operator action (API or dashboard): who, what, on what, and the state before and after. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actor: text("actor").notNull(), // "token" or "session:<issued-at>"; never the secret itself
    channel: text("channel").notNull(), // api | dashboard
    action: text("action").notNull(), // e.g. wallet.create, config.update, position.exit
    subject: text("subject"), // id or address acted on
    request: text("request"), // JSON body sent, or null
    outcome_status: integer("outcome_status").notNull(), // HTTP status of the answer
    before: text("before"), // JSON or null
    after: text("after"), // JSON or null
    created_at: createdAt(),
  },
  (t) => [index("audit_log_recent_idx").on(t.created_at), index("audit_log_action_idx").on(t.action, t.created_at)],
);

export type HeartbeatRow = typeof heartbeats.$inferSelect;
/**
 * Notification outbox (issue 12): one row per (channel, event), written in the same D1 batch as the alert
 * (or swept from the positions read model for trade events), delivered at least once by the minute
 * `notifications` job with backoff. `lease_until` keeps two overlapping runs from sending the same row at
 * once. Rows hold no secret: the bot token and the webhook secret are read from env at delivery.
 */
export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    channel: text("channel", { enum: NOTIFICATION_CHANNELS }).notNull(),
    event_key: text("event_key").notNull(), // alert:<id> · entry:<position> · exit:<position> · summary:<day>
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    payload: text("payload").notNull(), // JSON: what is sent
    status: text("status", { enum: NOTIFICATION_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    last_error: text("last_error"),
    last_attempt_at: text("last_attempt_at"),
    next_attempt_at: text("next_attempt_at").notNull(),
    lease_until: text("lease_until"),
    delivered_at: text("delivered_at"),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("notifications_event_unique").on(t.channel, t.event_key),
    index("notifications_due_idx").on(t.status, t.next_attempt_at),
    check("notifications_channel", oneOf("channel", NOTIFICATION_CHANNELS)),
    check("notifications_kind", oneOf("kind", NOTIFICATION_KINDS)),
    check("notifications_status", oneOf("status", NOTIFICATION_STATUSES)),
  ],
);
export type NotificationRow = typeof notifications.$inferSelect;

/**
 * Upstream usage per metric and window (issue 12): `window` is the window's start as an ISO prefix
 * (`2026-12-02T00:41` per minute, `2026-12-02` per day, `2026-12` per month). The clients count in memory
 * and add their counts here in one batch per flush, never one write per call.
 */
export const rateUsage = sqliteTable(
  "rate_usage",
  {
    metric: text("metric").notNull(), // e.g. jupiter.price, helius.credits, dexscreener.429
    window: text("window").notNull(),
    count: integer("count").notNull().default(0),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metric, t.window] })],
);

export type AlertRow = typeof alerts.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

/**
 * Dashboard session generation (issue 12): every session cookie carries the generation it was issued in;
 * logout bumps it, so every cookie issued before is refused server-side, even one copied elsewhere.
 */
export const dashboardSession = sqliteTable(
  "dashboard_session",
  {
    id: integer("id").primaryKey().default(1),
    generation: integer("generation").notNull().default(0),
    updated_at: updatedAt(),
  },
  () => [check("dashboard_session_singleton", sql.raw("id = 1"))],
);

// ---------------------------------------------------------------------------------------------
// Reconciliation (issue 12): positions vs orders vs the trading wallet's real token holdings.
// ---------------------------------------------------------------------------------------------

/** One row per reconciliation run (hourly cron or POST /api/v1/reconciliation/run). */
export const reconciliationRuns = sqliteTable(
  "reconciliation_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    trigger: text("trigger").notNull(), // "cron" | "api"
    status: text("status", { enum: RECONCILIATION_RUN_STATUSES }).notNull().default("running"),
    wallet_address: text("wallet_address"), // the trading wallet compared, when known
    holdings_checked: bool("holdings_checked").notNull().default(false),
    holdings_skip_reason: text("holdings_skip_reason"), // why holdings were not compared (no key, refresh failed)
    holdings_snapshot_at: text("holdings_snapshot_at"), // when the compared holdings were fetched
    positions_checked: integer("positions_checked").notNull().default(0),
    findings: integer("findings").notNull().default(0),
    positions_closed: integer("positions_closed").notNull().default(0),
    alerts_resolved: integer("alerts_resolved").notNull().default(0),
    error: text("error"),
    started_at: text("started_at").notNull(),
    finished_at: text("finished_at"),
  },
  (t) => [
    index("reconciliation_runs_recent_idx").on(t.started_at),
    check("reconciliation_runs_status", oneOf("status", RECONCILIATION_RUN_STATUSES)),
  ],
);

/** What one run found; `subject` is also the subject of its `reconciliation` alert. */
export const reconciliationFindings = sqliteTable(
  "reconciliation_findings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    run_id: integer("run_id")
      .notNull()
      .references(() => reconciliationRuns.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: RECONCILIATION_FINDING_KINDS }).notNull(),
    subject: text("subject").notNull(),
    position_id: text("position_id"),
    token_mint: text("token_mint"),
    mode: text("mode", { enum: WALLET_MODES }),
    expected: text("expected"), // base units or USD, as text
    actual: text("actual"),
    observations: integer("observations"), // position_without_holding: consecutive runs that saw it
    action: text("action"), // "closed_sold_externally" when this run closed the position
    message: text("message").notNull(),
    detail: text("detail").notNull().default("{}"), // JSON
    created_at: createdAt(),
  },
  (t) => [
    index("reconciliation_findings_run_idx").on(t.run_id),
    index("reconciliation_findings_subject_idx").on(t.kind, t.subject),
    check("reconciliation_findings_kind", oneOf("kind", RECONCILIATION_FINDING_KINDS)),
  ],
);

/**
 * Live positions whose tokens the trading wallet did not hold, with how many consecutive holdings snapshots
 * saw them missing. Two close the position `sold_externally`; a snapshot that holds the token deletes the row
 * (the count starts again). Keyed by snapshot time, so a run repeated on the same snapshot counts once.
 */
export const reconciliationMissing = sqliteTable("reconciliation_missing", {
  position_id: text("position_id").primaryKey(),
  token_mint: text("token_mint").notNull(),
  observations: integer("observations").notNull().default(1),
  first_seen_at: text("first_seen_at").notNull(),
  last_snapshot_at: text("last_snapshot_at").notNull(),
});

export type ReconciliationRunRow = typeof reconciliationRuns.$inferSelect;
export type ReconciliationFindingRow = typeof reconciliationFindings.$inferSelect;
/**
 * Hot-state version (issue 10, src/pipeline/hot-state.ts): one counter bumped by D1 triggers on every write
 * that changes what the actors cache (config, breaker events, wallet settings, exit strategies), so no writer
 * can forget it. An actor whose cached snapshot carries a lower version is stale.
 */
export const hotState = sqliteTable(
  "hot_state",
  {
    id: integer("id").primaryKey().default(1),
    version: integer("version").notNull().default(0),
  },
  () => [check("hot_state_singleton", sql.raw("id = 1"))],
);

/**
 * The version each cache (a WalletActor: `wallet:<address>`) confirmed it applied. A target behind
 * `hot_state.version` is owed a push; the minute cron re-pushes until it confirms.
 */
export const hotStateAcks = sqliteTable("hot_state_acks", {
  target: text("target").primaryKey(),
  version: integer("version").notNull(),
  updated_at: updatedAt(),
});
