/**
 * Notifications (issue 12), the pure part: what a notification says on each channel and when a failed
 * delivery is tried again. The outbox rows carry a JSON payload written by SQL (src/db/notifications.ts);
 * these functions turn it into a Telegram text or a webhook body.
 */
export type NotificationKind = "alert" | "trade_entry" | "trade_exit" | "daily_summary" | "test";

/** First retry after 30 s, doubling, at most one hour apart; a 429's `retry_after` wins when longer. */
export const NOTIFY_BACKOFF_BASE_MS = 30_000;
export const NOTIFY_BACKOFF_MAX_MS = 3_600_000;
export function nextAttemptDelayMs(attempts: number, retryAfterSeconds?: number | null): number {
  const exp = NOTIFY_BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20));
  const backoff = Math.min(exp, NOTIFY_BACKOFF_MAX_MS);
  return Math.max(backoff, (retryAfterSeconds ?? 0) * 1000);
}

/** Telegram caps a message at 4096 characters. */
export const TELEGRAM_MAX_TEXT = 4096;

const usd = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? `$${v.toFixed(2)}` : "n/a");
const pct = (v: unknown) =>
  typeof v === "number" && Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(2)} %` : "n/a";
const str = (v: unknown) => (v == null ? "" : String(v));

/** The plain-text message (no parse_mode: nothing in it needs escaping). */
export function renderText(kind: NotificationKind, p: Record<string, unknown>): string {
  let text: string;
  switch (kind) {
    case "alert":
      text = `[${str(p.severity).toUpperCase()}] ${str(p.kind)} · ${str(p.subject)}\n${str(p.message)}`;
      break;
    case "trade_entry":
      text =
        `Entry (${str(p.mode)}) ${str(p.token_mint)}\n` +
        `copied from ${str(p.leader)} · cost ${usd(p.entry_cost_usd)} at ${usd(p.entry_price_usd)}\n` +
        `position ${str(p.position_id)}`;
      break;
    case "trade_exit":
      text =
        `Exit (${str(p.mode)}) ${str(p.token_mint)}: ${str(p.exit_reason)}\n` +
        `PnL ${usd(p.realized_pnl_usd)} (${pct(p.pnl_percent)}) · cost ${usd(p.entry_cost_usd)} → proceeds ${usd(p.exit_proceeds_usd)}\n` +
        `position ${str(p.position_id)}`;
      break;
    case "daily_summary":
      text =
        `Daily summary ${str(p.day)} (UTC)\n` +
        `closed ${str(p.closed)} (${str(p.wins)} won, ${str(p.losses)} lost) · realized PnL ${usd(p.realized_pnl_usd)}\n` +
        `opened ${str(p.opened)} · open now ${str(p.open_now)}`;
      break;
    default:
      text = `WallTrack test notification (${str(p.requested_at)})`;
  }
  return text.length > TELEGRAM_MAX_TEXT ? `${text.slice(0, TELEGRAM_MAX_TEXT - 1)}…` : text;
}

/** The webhook's JSON body; `id` is stable across retries so a receiver can drop duplicates. */
export function webhookBody(
  n: { id: number; kind: NotificationKind; event_key: string; created_at: string },
  payload: Record<string, unknown>,
) {
  return JSON.stringify({
    id: n.id,
    event: n.kind,
    event_key: n.event_key,
    created_at: n.created_at,
    text: renderText(n.kind, payload),
    data: payload,
  });
}

/** What the HMAC covers: `<unix seconds>.<raw body>` (the timestamp bounds replays). */
export const signatureBase = (timestampSeconds: number, body: string) => `${timestampSeconds}.${body}`;
