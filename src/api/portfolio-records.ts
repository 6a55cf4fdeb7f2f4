import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import type { launches, scheduledFunding } from "../db/schema";
import { type CacheStatus, type RecordFreshness, recordsCacheStatus } from "../domain/portfolio";

/**
 * The one CachedWalletResponse wrapper for operator records (funding schedules, launch records), single
 * or listed: `{data, cached_at, cache_age_seconds, is_stale, source}` with the ages of their chain part
 * (see recordsCacheStatus).
 */
export function cachedRecords<T>(data: T, items: readonly RecordFreshness[], staleSeconds: number) {
  const status: CacheStatus = recordsCacheStatus(items, staleSeconds, Date.now());
  return { data, ...status, source: "cache" as const };
}

export const staleSecondsOf = async (db: Db) => (await loadConfig(db)).portfolio_stale_seconds;

type LaunchRow = typeof launches.$inferSelect;
type FundingRow = typeof scheduledFunding.$inferSelect;

/** A launch's chain part is the confirmation of its tx_signature (looked up at each wallet refresh). */
export const launchFreshness = (r: LaunchRow): RecordFreshness => ({
  chain_backed: r.tx_signature !== null,
  chain_checked_at: r.chain_checked_at,
  changed_at: r.chain_checked_at ?? r.created_at,
});

/** A submitted funding's outcome comes from its signature status (looked up by the funding cron). */
export const fundingFreshness = (r: FundingRow): RecordFreshness => ({
  chain_backed: r.status === "submitted",
  chain_checked_at: r.last_checked_at,
  changed_at: r.updated_at,
});

/** The funding as the API shows it: the signed bytes stay internal (only the signature is shown). */
export const fundingView = (r: FundingRow) => ({
  id: r.id,
  wallet_address: r.wallet_address,
  amount_sol: r.amount_sol,
  amount_lamports: r.amount_lamports,
  scheduled_for: r.scheduled_for,
  source_wallet: r.source_wallet,
  status: r.status,
  notes: r.notes,
  tx_signature: r.tx_signature,
  submitted_at: r.submitted_at,
  last_checked_at: r.last_checked_at,
  failure_reason: r.failure_reason,
  executed_at: r.executed_at,
  cancelled_at: r.cancelled_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const launchView = (r: LaunchRow) => ({
  id: r.id,
  wallet_address: r.wallet_address,
  mint_address: r.mint_address,
  name: r.name,
  ticker: r.ticker,
  platform: r.platform,
  tx_signature: r.tx_signature,
  initial_buy_sol: r.initial_buy_sol,
  notes: r.notes,
  launched_at: r.launched_at,
  confirmation_status: r.confirmation_status,
  chain_error: r.chain_error,
  chain_checked_at: r.chain_checked_at,
  created_at: r.created_at,
});
