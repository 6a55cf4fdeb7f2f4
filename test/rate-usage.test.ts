/**
 * Issue 12 rate-limit usage: counted by the upstream clients in memory, written to `rate_usage` per window
 * in one batch per flush, compared with the configured plan limits in GET /api/v1/status, and an alert when
 * usage crosses 80 %.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { usageOfCall, usageReadings, windowKey } from "../src/domain/rate-usage";
import { runOpsMonitor } from "../src/jobs/ops-monitor";
import { runJob } from "../src/jobs/run-job";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { resetUpstreamHealth } from "../src/upstream/health-tracker";
import { fetchJson } from "../src/upstream/http";
import { flushUsage, pendingUsage, resetUsage } from "../src/upstream/usage-counter";
import { api } from "./helpers/api";
import { setConfig } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { faultyD1 } from "./helpers/faults";

const FAKE = "http://fake.upstream";
const priceCall = () =>
  fetchJson({ service: "jupiter", url: `${FAKE}/price/v3?ids=x`, schema: z.unknown(), timeoutMs: 2000 });
const stored = async (metric: string) =>
  (
    await env.DB.prepare("SELECT COALESCE(SUM(count), 0) AS n FROM rate_usage WHERE metric = ?")
      .bind(metric)
      .first<{ n: number }>()
  )?.n ?? 0;
const monitor = () => runJob(env, "ops_monitor", "*/5 * * * *", runOpsMonitor);
const rateAlerts = async () =>
  (await env.DB.prepare("SELECT * FROM alerts WHERE kind = 'rate_limit_high' ORDER BY id").all<any>()).results;

beforeEach(async () => {
  await fake.reset();
  resetUpstreamHealth();
  attachUpstreamHealth(env);
  await flushUsage();
  resetUsage();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM rate_usage"),
    env.DB.prepare("DELETE FROM alerts"),
    env.DB.prepare("DELETE FROM notifications"),
  ]);
  await setConfig({ jupiter_price_requests_per_minute_limit: 60, helius_credits_per_month_limit: 1_000_000 });
});

describe("rate-limit usage (pure)", () => {
  it("a Helius webhook edit costs 100 credits, other Helius calls 1; Jupiter price and swap apart; 429s counted", () => {
    expect(usageOfCall("helius", "PUT", `${FAKE}/v0/webhooks/abc?api-key=k`, 200)).toEqual([
      { metric: "helius.credits", amount: 100 },
    ]);
    expect(usageOfCall("helius", "POST", `${FAKE}/v0/webhooks?api-key=k`, 200)[0]?.amount).toBe(100);
    expect(usageOfCall("helius", "GET", `${FAKE}/v0/webhooks?api-key=k`, 200)[0]?.amount).toBe(1);
    expect(usageOfCall("helius", "POST", `${FAKE}/v0/transactions?api-key=k`, 200)[0]?.amount).toBe(1);
    expect(usageOfCall("jupiter", "GET", `${FAKE}/price/v3?ids=a`, 200)).toEqual([
      { metric: "jupiter.price", amount: 1 },
    ]);
    expect(usageOfCall("jupiter", "GET", `${FAKE}/swap/v1/quote`, 429)).toEqual([
      { metric: "jupiter.swap", amount: 1 },
      { metric: "jupiter.429", amount: 1 },
    ]);
    expect(usageOfCall("solana-rpc", "POST", `${FAKE}/rpc`, 200)).toEqual([]);
  });

  it("per-minute metrics read the busiest of the last 5 minutes; 80 % of the limit is over the threshold", () => {
    const now = Date.parse("2026-12-02T10:30:30.000Z");
    const rows = [
      { metric: "jupiter.price", window: windowKey("minute", now - 120_000), count: 48 },
      { metric: "jupiter.price", window: windowKey("minute", now), count: 3 },
      { metric: "jupiter.price", window: windowKey("minute", now - 10 * 60_000), count: 60 }, // too old
      { metric: "helius.credits", window: "2026-12", count: 799_999 },
      { metric: "helius.credits", window: "2026-11", count: 900_000 }, // last month
    ];
    const limits = {
      helius_events_per_day_limit: 100,
      helius_credits_per_month_limit: 1_000_000,
      jupiter_price_requests_per_minute_limit: 60,
      jupiter_swap_requests_per_minute_limit: 60,
      rugcheck_requests_per_minute_limit: 60,
      dexscreener_requests_per_minute_limit: 300,
      upstream_429_per_minute_limit: 10,
    };
    const r = usageReadings(rows, limits, now);
    expect(r.find((u) => u.metric === "jupiter.price")).toMatchObject({
      used: 48,
      percent: 80,
      over_alert_threshold: true,
    });
    expect(r.find((u) => u.metric === "helius.credits")).toMatchObject({ used: 799_999, over_alert_threshold: false });
  });
});

describe("rate-limit usage counted by the clients", () => {
  it("counts in memory with no D1 write per call, then one flush writes them; a failed flush keeps the counts", async () => {
    for (let i = 0; i < 5; i++) await priceCall();
    expect(pendingUsage().reduce((s, r) => s + (r.metric === "jupiter.price" ? r.count : 0), 0)).toBe(5);
    expect(await stored("jupiter.price")).toBe(0);

    // The flush fails once (D1 down): nothing is lost, the next flush writes everything.
    attachUpstreamHealth({ DB: faultyD1(env.DB, { match: /INSERT INTO rate_usage/ }).binding });
    await flushUsage();
    expect(await stored("jupiter.price")).toBe(0);
    expect(pendingUsage().some((r) => r.metric === "jupiter.price")).toBe(true);
    attachUpstreamHealth(env);
    await flushUsage();
    expect(await stored("jupiter.price")).toBe(5);
    expect(pendingUsage()).toEqual([]);
  });

  it("a Helius webhook delivery counts its events toward helius.events per day", async () => {
    const res = await api("POST", "/webhooks/helius", [], { authorization: env.HELIUS_WEBHOOK_SECRET as string });
    expect(res.status).toBe(200);
    await flushUsage();
    const before = await stored("helius.events");
    const items = [{ not: "a transaction" }, { still: "not one" }];
    await api("POST", "/webhooks/helius", items, { authorization: env.HELIUS_WEBHOOK_SECRET as string });
    await flushUsage();
    expect((await stored("helius.events")) - before).toBe(2);
  });

  it("usage crossing 80 % of the plan limit shows in the status and raises rate_limit_high; falling back resolves it", async () => {
    await setConfig({ jupiter_price_requests_per_minute_limit: 10 });
    // 7 of 10 (70 %): below the threshold.
    for (let i = 0; i < 7; i++) await priceCall();
    await monitor();
    expect(await rateAlerts()).toHaveLength(0);
    let status = await api("GET", "/api/v1/status");
    let jup = status.body.components.find((c: any) => c.name === "upstream:jupiter");
    expect(jup.detail.rate_limits.find((u: any) => u.metric === "jupiter.price")).toMatchObject({
      limit: 10,
      over_alert_threshold: false,
    });

    // 16 more: even split across a minute boundary, one minute holds at least 8 of 10.
    for (let i = 0; i < 16; i++) await priceCall();
    await monitor();
    const alerts = await rateAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ subject: "jupiter.price", severity: "warning", status: "open" });
    status = await api("GET", "/api/v1/status");
    jup = status.body.components.find((c: any) => c.name === "upstream:jupiter");
    expect(jup.verdict).not.toBe("ok");
    expect(jup.reason).toMatch(/rate-limit usage jupiter\.price/);
    expect(jup.detail.rate_limits.find((u: any) => u.metric === "jupiter.price").percent).toBeGreaterThanOrEqual(80);

    // A higher plan limit: the condition clears and the monitor resolves the alert.
    await setConfig({ jupiter_price_requests_per_minute_limit: 1000 });
    await monitor();
    expect((await rateAlerts())[0]).toMatchObject({ status: "resolved", resolved_by: "monitor" });
  });
});
