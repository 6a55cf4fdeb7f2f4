import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { afterCall, UPSTREAM_COOLDOWN_MS, type UpstreamState, upstreamGate } from "../src/domain/upstream-health";
import { attachUpstreamHealth } from "../src/ops/upstream-store";
import { admitCall, recordCall } from "../src/upstream/health-tracker";
import { api } from "./helpers/api";
import { mint } from "./helpers/execution";
import { fake } from "./helpers/fake";

beforeEach(async () => {
  await fake.reset();
  await env.DB.batch([env.DB.prepare("DELETE FROM alerts"), env.DB.prepare("DELETE FROM upstream_health")]);
});

describe("upstream circuit breaker rules", () => {
  it("opens when more than half of the last 10 calls failed, skips during the cool-down, one trial decides", () => {
    let s: UpstreamState = { recent: [], open_until: null };
    const t = 1_000_000;
    for (let i = 0; i < 5; i++) s = afterCall(s, true, t);
    for (let i = 0; i < 5; i++) s = afterCall(s, false, t);
    expect(s.open_until).toBeNull(); // 5 of 10 is not more than half
    s = afterCall(s, false, t); // window slides: 4 ok, 6 failed
    expect(s.open_until).toBe(t + UPSTREAM_COOLDOWN_MS);
    expect(upstreamGate(s, t + 1)).toBe("open");
    expect(upstreamGate(s, t + UPSTREAM_COOLDOWN_MS)).toBe("trial");
    const reopened = afterCall(s, false, t + UPSTREAM_COOLDOWN_MS);
    expect(reopened.open_until).toBe(t + 2 * UPSTREAM_COOLDOWN_MS);
    const closed = afterCall(s, true, t + UPSTREAM_COOLDOWN_MS);
    expect(closed).toEqual({ recent: [1], open_until: null });
  });
});

describe("upstream circuit breaker in the clients", () => {
  it("Jupiter failing opens the breaker: further price reads skip it and use DexScreener; the status and an alert say so; the cool-down closes it", async () => {
    const mints = Array.from({ length: 8 }, (_, i) => mint(`UB${i}`));
    await fake.tokens(...mints.map((m) => ({ mint: m, price_usd: 2, dex_price_usd: 1.9 })));
    await fake.fail("jupiter.price", { status: 503 });
    const feed = env.PRICE_FEED.getByName("default");
    for (const m of mints.slice(0, 6)) expect((await feed.getPrices([m]))[m]?.source).toBe("dexscreener");
    const callsWhenOpened = (await fake.calls())["jupiter.price"];
    expect(callsWhenOpened).toBeGreaterThanOrEqual(6);

    // open: the next reads never reach Jupiter, the fallback takes over
    for (const m of mints.slice(6)) expect((await feed.getPrices([m]))[m]).toMatchObject({ source: "dexscreener" });
    expect((await fake.calls())["jupiter.price"]).toBe(callsWhenOpened);

    const row = await env.DB.prepare("SELECT * FROM upstream_health WHERE service = 'jupiter'").first<any>();
    expect(row.open_until).not.toBeNull();
    const status = await api("GET", "/api/v1/status");
    const jup = status.body.components.find((c: { name: string }) => c.name === "upstream:jupiter");
    expect(jup.verdict).toBe("failing");
    expect(jup.reason).toContain("circuit open");
    const alerts = (await env.DB.prepare("SELECT * FROM alerts WHERE kind = 'upstream_failing'").all<any>()).results;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ subject: "jupiter", status: "open" });

    // After the cool-down (driven through the tracker's clock, not by waiting): one trial call, success closes.
    attachUpstreamHealth(env);
    const later = Date.parse(row.open_until) + 1;
    expect(admitCall("jupiter", later - 2)).toBe("skip");
    expect(admitCall("jupiter", later)).toBe("go");
    expect(admitCall("jupiter", later)).toBe("skip"); // only one trial at a time
    await recordCall("jupiter", true, null, later);
    expect(admitCall("jupiter", later + 1)).toBe("go");
    const closed = await env.DB.prepare("SELECT * FROM upstream_health WHERE service = 'jupiter'").first<any>();
    expect(closed.open_until).toBeNull();
    expect(
      await env.DB.prepare("SELECT status, resolved_by FROM alerts WHERE kind = 'upstream_failing'").first<any>(),
    ).toMatchObject({ status: "resolved", resolved_by: "monitor" });
  });

  it("an answered 4xx (unknown token) is the upstream working and never opens the breaker", async () => {
    for (let i = 0; i < 12; i++) await recordCall("rugcheck", true, null);
    await fake.fail("rugcheck.report", { status: 404 });
    const { fetchRugcheckReport } = await import("../src/upstream/rugcheck");
    for (let i = 0; i < 8; i++) await fetchRugcheckReport(env, mint(`RC${i}`)).catch(() => null);
    expect(admitCall("rugcheck")).toBe("go");
  });
});
