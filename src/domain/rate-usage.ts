/**
 * Upstream rate-limit usage (issue 12), the pure part: which metric a call counts toward, the window it
 * falls in, and how usage compares with the configured plan limit. Helius bills credits per month (a
 * webhook create or edit costs 100, other API calls about 1) and counts webhook events; Jupiter, RugCheck
 * and DexScreener limit requests per minute; 429s per minute say a limit was hit anyway.
 */
export type UsageWindow = "minute" | "day" | "month";

export const RATE_METRICS = {
  "helius.events": { service: "helius", window: "day", limit: "helius_events_per_day_limit" },
  "helius.credits": { service: "helius", window: "month", limit: "helius_credits_per_month_limit" },
  "jupiter.price": { service: "jupiter", window: "minute", limit: "jupiter_price_requests_per_minute_limit" },
  "jupiter.swap": { service: "jupiter", window: "minute", limit: "jupiter_swap_requests_per_minute_limit" },
  "rugcheck.requests": { service: "rugcheck", window: "minute", limit: "rugcheck_requests_per_minute_limit" },
  "dexscreener.requests": {
    service: "dexscreener",
    window: "minute",
    limit: "dexscreener_requests_per_minute_limit",
  },
  "helius.429": { service: "helius", window: "minute", limit: "upstream_429_per_minute_limit" },
  "jupiter.429": { service: "jupiter", window: "minute", limit: "upstream_429_per_minute_limit" },
  "rugcheck.429": { service: "rugcheck", window: "minute", limit: "upstream_429_per_minute_limit" },
  "dexscreener.429": { service: "dexscreener", window: "minute", limit: "upstream_429_per_minute_limit" },
  "solana-rpc.429": { service: "solana-rpc", window: "minute", limit: "upstream_429_per_minute_limit" },
} as const;
export type RateMetric = keyof typeof RATE_METRICS;
export type RateLimitKey = (typeof RATE_METRICS)[RateMetric]["limit"];

/** Usage at or above this share of the limit raises `rate_limit_high`. */
export const RATE_ALERT_RATIO = 0.8;
/** Helius credits of one webhook create or edit (https://www.helius.dev/docs/billing/credits). */
export const HELIUS_WEBHOOK_EDIT_CREDITS = 100;

/** The window a moment falls in, as an ISO prefix that sorts like time. */
export function windowKey(w: UsageWindow, now: number): string {
  const iso = new Date(now).toISOString();
  return w === "minute" ? iso.slice(0, 16) : w === "day" ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** The metrics one upstream call counts toward (with how much), from its service, method, path and answer. */
export function usageOfCall(
  service: string,
  method: string,
  url: string,
  status: number | null,
): { metric: RateMetric; amount: number }[] {
  const path = (() => {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  })();
  const out: { metric: RateMetric; amount: number }[] = [];
  const m = method.toUpperCase();
  if (service === "helius")
    out.push({
      metric: "helius.credits",
      amount: path.startsWith("/v0/webhooks") && (m === "POST" || m === "PUT") ? HELIUS_WEBHOOK_EDIT_CREDITS : 1,
    });
  else if (service === "jupiter")
    out.push({ metric: path.includes("/price/") ? "jupiter.price" : "jupiter.swap", amount: 1 });
  else if (service === "rugcheck") out.push({ metric: "rugcheck.requests", amount: 1 });
  else if (service === "dexscreener") out.push({ metric: "dexscreener.requests", amount: 1 });
  if (status === 429) {
    const metric = `${service}.429`;
    if (metric in RATE_METRICS) out.push({ metric: metric as RateMetric, amount: 1 });
  }
  return out;
}

export interface UsageReading {
  metric: RateMetric;
  window: UsageWindow;
  used: number;
  limit: number;
  percent: number;
  over_alert_threshold: boolean;
}

/**
 * Readings per metric from stored counts: the current window for day and month metrics, and for per-minute
 * metrics the busiest of the last `minutes` windows (the 5-minute monitor must not miss a burst).
 */
export function usageReadings(
  rows: { metric: string; window: string; count: number }[],
  limits: Record<RateLimitKey, number>,
  now: number,
  minutes = 5,
): UsageReading[] {
  const recentMinutes = new Set(Array.from({ length: minutes }, (_, i) => windowKey("minute", now - i * 60_000)));
  return (Object.keys(RATE_METRICS) as RateMetric[]).map((metric) => {
    const def = RATE_METRICS[metric];
    const mine = rows.filter((r) => r.metric === metric);
    const used =
      def.window === "minute"
        ? Math.max(0, ...mine.filter((r) => recentMinutes.has(r.window)).map((r) => r.count))
        : mine.filter((r) => r.window === windowKey(def.window, now)).reduce((s, r) => s + r.count, 0);
    const limit = limits[def.limit];
    const ratio = limit > 0 ? used / limit : 0;
    return {
      metric,
      window: def.window,
      used,
      limit,
      percent: Math.round(ratio * 1000) / 10,
      over_alert_threshold: ratio >= RATE_ALERT_RATIO,
    };
  });
}
