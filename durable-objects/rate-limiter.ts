import { DurableObject } from "cloudflare:workers";

/**
 * Failed-attempt counter of one client address on one surface (issue 12: login, bearer token, webhook
 * secret), named `<surface>:<address>`. Cloudflare's rate-limiting binding is not available in local
 * workerd, so a Durable Object counts: one object per address, so one noisy client never slows another.
 *
 * Fixed window: the first failure opens a window of `windowMs`; at `limit` failures the address is
 * blocked until the window ends. State lives in storage (survives eviction); an alarm at the end of the
 * window deletes it, so idle addresses cost nothing.
 */
interface Window {
  start: number;
  failures: number;
  blocked_until: number | null;
  window_ms: number;
}

export interface LimitVerdict {
  blocked: boolean;
  retry_after_seconds: number;
  failures: number;
}

export class RateLimiter extends DurableObject<Env> {
  private async window(now: number): Promise<Window | null> {
    const w = (await this.ctx.storage.get<Window>("w")) ?? null;
    if (!w) return null;
    const end = w.blocked_until ?? w.start + w.window_ms;
    return now >= end ? null : w;
  }

  private verdict(w: Window | null, now: number): LimitVerdict {
    if (!w?.blocked_until || now >= w.blocked_until)
      return { blocked: false, retry_after_seconds: 0, failures: w?.failures ?? 0 };
    return { blocked: true, retry_after_seconds: Math.ceil((w.blocked_until - now) / 1000), failures: w.failures };
  }

  /** Is this address blocked right now? (read only) */
  async check(now: number = Date.now()): Promise<LimitVerdict> {
    return this.verdict(await this.window(now), now);
  }

  /** Counts one failed attempt; the answer says whether the address is now blocked. */
  async fail(limit: number, windowMs: number, now: number = Date.now()): Promise<LimitVerdict> {
    if (!Number.isInteger(limit) || limit < 1 || !Number.isFinite(windowMs) || windowMs <= 0)
      throw new TypeError("limit must be a positive integer and windowMs positive");
    const w = (await this.window(now)) ?? { start: now, failures: 0, blocked_until: null, window_ms: windowMs };
    w.failures++;
    if (w.failures >= limit && w.blocked_until == null) w.blocked_until = w.start + w.window_ms;
    await this.ctx.storage.put("w", w);
    await this.ctx.storage.setAlarm(w.blocked_until ?? w.start + w.window_ms);
    return this.verdict(w, now);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const w = await this.ctx.storage.get<Window>("w");
    const end = w ? (w.blocked_until ?? w.start + w.window_ms) : 0;
    if (!w || now >= end) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(end);
  }
}
