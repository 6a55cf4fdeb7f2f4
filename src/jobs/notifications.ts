import { raiseAlert, resolveAlertOf } from "../db/alerts";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import {
  claimDue,
  dailySummaryStmt,
  markDelivered,
  markFailed,
  type OutboxRow,
  releaseLease,
  sweepTradeEventsStmts,
} from "../db/notifications";
import type { Config } from "../domain/config";
import { type NotificationKind, nextAttemptDelayMs, renderText, webhookBody } from "../domain/notifications";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { nowIso } from "../lib/time";
import { timeoutFrom } from "../upstream/http";
import { ChannelError, type ChannelName, sendTelegram, sendWebhook } from "../upstream/notify-channels";
import type { Job } from "./run-job";

/** Deliveries per run: each is one subrequest, and the run shares the invocation with the minute's other job. */
export const NOTIFY_MAX_PER_RUN = 20;
/** The daily summary of a day is queued from this long after midnight UTC (rows trail the actors by ~1 s). */
export const SUMMARY_AFTER_MIDNIGHT_MS = 5 * 60_000;

type NotifyEnv = Pick<Env, "DB"> & {
  TELEGRAM_BOT_TOKEN?: string;
  TELEGRAM_API_URL?: string;
  NOTIFY_WEBHOOK_SECRET?: string;
  UPSTREAM_TIMEOUT_MS?: string;
};

const channelsOn = (cfg: Config): ChannelName[] => [
  ...(cfg.telegram_chat_id ? (["telegram"] as const) : []),
  ...(cfg.notify_webhook_url ? (["webhook"] as const) : []),
];

/** Queues the trade events of the last day and yesterday's summary (both idempotent by their key). */
export async function enqueueOwedEvents(env: NotifyEnv, cfg: Config, now: number) {
  const on = channelsOn(cfg);
  if (on.length === 0) return { summary: null as string | null };
  const stmts = cfg.notify_trade_events ? sweepTradeEventsStmts(env.DB, now) : [];
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  let summary: string | null = null;
  if (cfg.notify_daily_summary && now - dayStart >= SUMMARY_AFTER_MIDNIGHT_MS) {
    const day = nowIso(dayStart - 86_400_000).slice(0, 10);
    const have = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM notifications WHERE channel IN (SELECT value FROM json_each(?1)) AND event_key = ?2",
    )
      .bind(JSON.stringify(on), `summary:${day}`)
      .first<{ n: number }>();
    if ((have?.n ?? 0) < on.length) {
      stmts.push(dailySummaryStmt(env.DB, day, now));
      summary = day;
    }
  }
  if (stmts.length) await env.DB.batch(stmts);
  return { summary };
}

async function deliverOne(env: NotifyEnv, cfg: Config, n: OutboxRow, now: number) {
  const payload = JSON.parse(n.payload) as Record<string, unknown>;
  const timeout = timeoutFrom(env);
  if (n.channel === "telegram") {
    if (!cfg.telegram_chat_id) throw new ChannelError("telegram", "not configured: telegram_chat_id is unset");
    await sendTelegram(env, cfg.telegram_chat_id, renderText(n.kind as NotificationKind, payload), timeout);
  } else {
    if (!cfg.notify_webhook_url) throw new ChannelError("webhook", "not configured: notify_webhook_url is unset");
    const body = webhookBody({ ...n, kind: n.kind as NotificationKind }, payload);
    await sendWebhook(env, cfg.notify_webhook_url, { id: n.id, body }, timeout, now);
  }
}

/**
 * Sends what is due: each row once per run at most, oldest first. A channel that fails is not tried again
 * in the same run (its other rows keep their turn), raises `notification_failing` for that channel and
 * backs off; its next success resolves the alert. Trading never waits for any of it: this runs on the cron.
 */
export async function deliverNotifications(env: NotifyEnv, now = Date.now()) {
  const cfg = await loadConfig(getDb(env.DB));
  const owed = await enqueueOwedEvents(env, cfg, now);
  const timeout = timeoutFrom(env);
  const limit = Math.max(1, Math.min(NOTIFY_MAX_PER_RUN, cfg.max_subrequests_per_invocation - 10));
  const due = await claimDue(env.DB, now, limit, limit * timeout + 60_000);
  const failed = new Map<ChannelName, string>();
  const succeeded = new Set<ChannelName>();
  const skipped: number[] = [];
  let delivered = 0;
  for (const n of due) {
    if (failed.has(n.channel)) {
      skipped.push(n.id);
      continue;
    }
    try {
      await deliverOne(env, cfg, n, now);
    } catch (err) {
      const message = String(redact(errorMessage(err)));
      const retryAfter = err instanceof ChannelError ? err.retryAfterSeconds : null;
      const at = Date.now();
      await markFailed(
        env.DB,
        n.id,
        message,
        at,
        Math.max(at, now) + nextAttemptDelayMs(n.attempts + 1, retryAfter),
      ).run();
      failed.set(n.channel, message);
      log.warn("notification_failed", {
        id: n.id,
        channel: n.channel,
        kind: n.kind,
        attempts: n.attempts + 1,
        error: message,
      });
      continue;
    }
    // Sent. If this write fails the run fails and the lease lapses: the row is sent again (at least once),
    // never recorded as a channel failure.
    await markDelivered(env.DB, n.id, Date.now()).run();
    succeeded.add(n.channel);
    delivered++;
  }
  if (skipped.length) await releaseLease(env.DB, skipped).run();
  for (const [channel, error] of failed)
    await raiseAlert(
      env.DB,
      {
        kind: "notification_failing",
        subject: channel,
        message: `notifications to ${channel} are failing: ${error}`,
        detail: { channel, last_error: error },
      },
      now,
    );
  for (const channel of succeeded)
    if (!failed.has(channel)) await resolveAlertOf(env.DB, "notification_failing", channel, "notifier", now);
  return {
    claimed: due.length,
    delivered,
    failed: Object.fromEntries(failed),
    skipped: skipped.length,
    summary: owed.summary,
  };
}

export const runNotifications: Job = async (env) => ({ status: "ok", detail: await deliverNotifications(env) });
