import { nowIso } from "../lib/time";

/**
 * Notification outbox statements (issue 12). Every enqueue is one INSERT … SELECT that fans out to the
 * channels switched on in `config` (a Telegram chat id, a webhook URL) and is idempotent by
 * (channel, event_key), so it can share a batch with what it reports and can be swept again safely.
 */

/** The channels that are on, as a subquery joined with the config row `c`. */
const CHANNELS = `(SELECT 'telegram' AS channel UNION ALL SELECT 'webhook') ch
  ON (ch.channel = 'telegram' AND c.telegram_chat_id IS NOT NULL)
  OR (ch.channel = 'webhook' AND c.notify_webhook_url IS NOT NULL)`;
const RANK = (col: string) => `(CASE ${col} WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)`;

/**
 * Queues the alert (kind, subject) created at `at` — the row just inserted by raiseAlert in the same batch
 * (first seen now, count 1) — when its severity reaches `notify_min_severity`. A repeat of the alert
 * (count > 1) queues nothing: one notification per alert.
 */
export function enqueueAlertStmt(d1: D1Database, kind: string, subject: string, at: string) {
  return d1
    .prepare(
      `INSERT INTO notifications (channel, event_key, kind, payload, next_attempt_at, created_at)
       SELECT ch.channel, 'alert:' || a.id, 'alert',
         json_object('alert_id', a.id, 'kind', a.kind, 'subject', a.subject, 'severity', a.severity,
           'message', a.message, 'first_seen_at', a.first_seen_at), ?3, ?3
       FROM alerts a JOIN config c ON c.id = 1 JOIN ${CHANNELS}
       WHERE a.kind = ?1 AND a.subject = ?2 AND a.first_seen_at = ?3 AND a.count = 1 AND a.status != 'resolved'
         AND ${RANK("a.severity")} >= ${RANK("c.notify_min_severity")}
       ON CONFLICT DO NOTHING`,
    )
    .bind(kind, subject, at);
}

/** How far back the sweep looks for trade events (a run missed for a day still catches up). */
export const TRADE_SWEEP_LOOKBACK_MS = 24 * 3_600_000;

/**
 * Trade events from the positions read model: an entry per opened position, an exit (with its realized PnL)
 * per closed one. Swept by the notifications job, so no trading code path ever waits on a channel or on the
 * outbox; the unique key makes each event one notification per channel however often it is swept.
 */
export function sweepTradeEventsStmts(d1: D1Database, now: number) {
  const at = nowIso(now);
  const since = nowIso(now - TRADE_SWEEP_LOOKBACK_MS);
  const common = `FROM positions p JOIN config c ON c.id = 1 JOIN ${CHANNELS}
       LEFT JOIN tokens t ON t.mint_address = p.token_mint`;
  return [
    d1
      .prepare(
        `INSERT INTO notifications (channel, event_key, kind, payload, next_attempt_at, created_at)
         SELECT ch.channel, 'entry:' || p.id, 'trade_entry',
           json_object('position_id', p.id, 'token_mint', p.token_mint, 'symbol', t.symbol, 'leader', p.source_wallet_address,
             'mode', p.mode, 'entry_price_usd', p.entry_price_usd, 'entry_cost_usd', p.entry_cost_usd, 'opened_at', p.opened_at), ?1, ?1
         ${common}
         WHERE c.notify_trade_events = 1 AND p.opened_at >= ?2
         ON CONFLICT DO NOTHING`,
      )
      .bind(at, since),
    d1
      .prepare(
        `INSERT INTO notifications (channel, event_key, kind, payload, next_attempt_at, created_at)
         SELECT ch.channel, 'exit:' || p.id, 'trade_exit',
           json_object('position_id', p.id, 'token_mint', p.token_mint, 'symbol', t.symbol, 'leader', p.source_wallet_address,
             'mode', p.mode, 'exit_reason', p.exit_reason, 'entry_cost_usd', p.entry_cost_usd,
             'exit_proceeds_usd', p.exit_proceeds_usd, 'realized_pnl_usd', p.realized_pnl_usd, 'pnl_percent', p.pnl_percent,
             'opened_at', p.opened_at, 'closed_at', p.closed_at), ?1, ?1
         ${common}
         WHERE c.notify_trade_events = 1 AND p.status = 'closed' AND p.closed_at >= ?2
         ON CONFLICT DO NOTHING`,
      )
      .bind(at, since),
  ];
}

/** The summary of UTC day `day` (YYYY-MM-DD): closed positions and their realized PnL, entries, open now. */
export function dailySummaryStmt(d1: D1Database, day: string, now: number) {
  const start = `${day}T00:00:00.000Z`;
  const end = nowIso(Date.parse(start) + 86_400_000);
  return d1
    .prepare(
      `INSERT INTO notifications (channel, event_key, kind, payload, next_attempt_at, created_at)
       SELECT ch.channel, 'summary:' || ?1, 'daily_summary',
         json_object('day', ?1, 'closed', s.closed, 'wins', s.wins, 'losses', s.losses,
           'realized_pnl_usd', s.pnl, 'live_realized_pnl_usd', s.live_pnl, 'opened', s.opened, 'open_now', s.open_now), ?4, ?4
       FROM (SELECT
           COUNT(*) AS closed,
           COALESCE(SUM(realized_pnl_usd > 0), 0) AS wins,
           COALESCE(SUM(realized_pnl_usd <= 0), 0) AS losses,
           COALESCE(SUM(realized_pnl_usd), 0) AS pnl,
           COALESCE(SUM(CASE WHEN mode = 'live' THEN realized_pnl_usd END), 0) AS live_pnl,
           (SELECT COUNT(*) FROM positions WHERE opened_at >= ?2 AND opened_at < ?3) AS opened,
           (SELECT COUNT(*) FROM positions WHERE status != 'closed') AS open_now
         FROM positions WHERE status = 'closed' AND closed_at >= ?2 AND closed_at < ?3) s
       JOIN config c ON c.id = 1 JOIN ${CHANNELS}
       WHERE c.notify_daily_summary = 1
       ON CONFLICT DO NOTHING`,
    )
    .bind(day, start, end, nowIso(now));
}

export interface OutboxRow {
  id: number;
  channel: "telegram" | "webhook";
  event_key: string;
  kind: "alert" | "trade_entry" | "trade_exit" | "daily_summary" | "test";
  payload: string;
  attempts: number;
  created_at: string;
}

/**
 * Takes up to `limit` due rows under a lease, in one statement: an overlapping run sees them leased and
 * leaves them. A run that dies mid-way lets its lease lapse and the rows are sent again (at least once).
 */
export async function claimDue(d1: D1Database, now: number, limit: number, leaseMs: number) {
  const at = nowIso(now);
  const r = await d1
    .prepare(
      `UPDATE notifications SET lease_until = ?2 WHERE id IN (
         SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ?1
           AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at, id LIMIT ?3)
       RETURNING id, channel, event_key, kind, payload, attempts, created_at`,
    )
    .bind(at, nowIso(now + leaseMs), limit)
    .all<OutboxRow>();
  return r.results.sort((a, b) => a.id - b.id);
}

export const markDelivered = (d1: D1Database, id: number, now: number) =>
  d1
    .prepare(
      `UPDATE notifications SET status = 'delivered', delivered_at = ?2, last_attempt_at = ?2, attempts = attempts + 1,
         lease_until = NULL WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, nowIso(now));

export const markFailed = (d1: D1Database, id: number, error: string, now: number, nextAt: number) =>
  d1
    .prepare(
      `UPDATE notifications SET attempts = attempts + 1, last_error = ?2, last_attempt_at = ?3, next_attempt_at = ?4,
         lease_until = NULL WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, error.slice(0, 500), nowIso(now), nowIso(nextAt));

export const releaseLease = (d1: D1Database, ids: number[]) =>
  d1
    .prepare(
      "UPDATE notifications SET lease_until = NULL WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending'",
    )
    .bind(JSON.stringify(ids));
