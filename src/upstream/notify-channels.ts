import { z } from "zod";
import { signatureBase } from "../domain/notifications";

/**
 * Outbound notification channels (issue 12): the Telegram Bot API's sendMessage and a generic JSON webhook
 * signed with HMAC-SHA256. Both throw ChannelError; its message never holds the bot token (it is in the
 * URL path, so the URL is never quoted), the webhook secret or a raw response body.
 */
export type ChannelName = "telegram" | "webhook";

export class ChannelError extends Error {
  readonly channel: ChannelName;
  readonly status: number | null;
  /** Seconds Telegram asks us to wait (429 `parameters.retry_after`). */
  readonly retryAfterSeconds: number | null;
  constructor(
    channel: ChannelName,
    message: string,
    opts: { status?: number | null; retryAfter?: number | null } = {},
  ) {
    super(`${channel}: ${message}`);
    this.name = "ChannelError";
    this.channel = channel;
    this.status = opts.status ?? null;
    this.retryAfterSeconds = opts.retryAfter ?? null;
  }
}

/** https://core.telegram.org/bots/api#making-requests: every answer is {ok, result} or {ok: false, error_code, description}. */
const TelegramAnswer = z.object({
  ok: z.boolean(),
  result: z.object({ message_id: z.number() }).passthrough().optional(),
  error_code: z.number().optional(),
  description: z.string().optional(),
  parameters: z.object({ retry_after: z.number().optional() }).passthrough().optional(),
});

const errName = (err: unknown) =>
  err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? "timed out" : "network error";

export async function sendTelegram(
  env: { TELEGRAM_BOT_TOKEN?: string; TELEGRAM_API_URL?: string },
  chatId: string,
  text: string,
  timeoutMs: number,
): Promise<{ message_id: number }> {
  const token = env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new ChannelError("telegram", "not configured: TELEGRAM_BOT_TOKEN is unset");
  const base = (env.TELEGRAM_API_URL || "https://api.telegram.org").replace(/\/+$/, "");
  let res: Response;
  try {
    res = await fetch(`${base}/bot${token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: chatId, text, link_preview_options: { is_disabled: true } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ChannelError("telegram", `sendMessage ${errName(err)}`);
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // A proxy's HTML error page: only the status is kept.
  }
  const parsed = TelegramAnswer.safeParse(body);
  if (res.ok && parsed.success && parsed.data.ok && parsed.data.result)
    return { message_id: parsed.data.result.message_id };
  const a = parsed.success ? parsed.data : null;
  // Telegram's description is a short fixed phrase ("Bad Request: chat not found"), useful to the operator.
  const why = a?.description ? `: ${a.description.slice(0, 200).replaceAll(token, "[redacted]")}` : "";
  throw new ChannelError("telegram", `sendMessage HTTP ${res.status}${why}`, {
    status: res.status,
    retryAfter: a?.parameters?.retry_after ?? null,
  });
}

export const SIGNATURE_HEADER = "x-walltrack-signature";
export const TIMESTAMP_HEADER = "x-walltrack-timestamp";
export const DELIVERY_HEADER = "x-walltrack-delivery";

/** Hex HMAC-SHA256 of `<timestamp>.<body>` with the shared secret (WebCrypto). */
export async function signWebhook(secret: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signatureBase(timestampSeconds, body)));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sendWebhook(
  env: { NOTIFY_WEBHOOK_SECRET?: string },
  url: string,
  delivery: { id: number; body: string },
  timeoutMs: number,
  now = Date.now(),
): Promise<{ status: number }> {
  const secret = env.NOTIFY_WEBHOOK_SECRET;
  // Unsigned deliveries could be forged by anyone who learns the URL: refuse to send them.
  if (!secret) throw new ChannelError("webhook", "not configured: NOTIFY_WEBHOOK_SECRET is unset");
  const ts = Math.floor(now / 1000);
  const signature = await signWebhook(secret, ts, delivery.body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: `sha256=${signature}`,
        [TIMESTAMP_HEADER]: String(ts),
        [DELIVERY_HEADER]: String(delivery.id),
      },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
  } catch (err) {
    throw new ChannelError("webhook", `POST ${errName(err)}`);
  }
  await res.body?.cancel();
  if (res.status >= 200 && res.status < 300) return { status: res.status };
  const retryAfter = Number(res.headers.get("retry-after"));
  throw new ChannelError("webhook", `POST answered HTTP ${res.status}`, {
    status: res.status,
    retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  });
}
