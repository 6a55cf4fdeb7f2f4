import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, expectErrorShape } from "./helpers/api";
import { resetBreaker } from "./helpers/execution";

beforeEach(() => resetBreaker());

describe("circuit-breaker API", () => {
  it("activates and deactivates with immutable events carrying metric and threshold snapshots", async () => {
    const before = await api("GET", "/api/v1/circuit-breaker");
    expect(before.status).toBe(200);
    expect(before.body.open).toBe(false);
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM circuit_breaker_events").first<{ n: number }>())?.n ?? 0;
    const n0 = await count();

    const on = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "incident drill" });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ open: true, trigger: "manual", reason: "incident drill" });
    const trip = on.body.recent_events[0];
    expect(trip).toMatchObject({ event_type: "trip", trigger: "manual", reason: "incident drill" });
    expect(trip.metrics_snapshot).toHaveProperty("open_positions");
    expect(trip.metrics_snapshot).toHaveProperty("realized_pnl_usd");
    expect(trip.thresholds_snapshot).toMatchObject({ max_drawdown_percent: 20, consecutive_loss_limit: 3 });

    const again = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "twice" });
    expect(again.status).toBe(409);
    expectErrorShape(again.body, "Conflict");

    const off = await api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "drill over" });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ open: false });
    expect(off.body.recent_events.map((e: { event_type: string }) => e.event_type).slice(0, 2)).toEqual([
      "reset",
      "trip",
    ]);
    const offAgain = await api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "again" });
    expect(offAgain.status).toBe(409);
    expectErrorShape(offAgain.body, "Conflict");
    expect(await count()).toBe(n0 + 2);
  });

  it("rejects a missing or empty reason without recording anything", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM circuit_breaker_events").first<{ n: number }>();
    for (const body of [{}, { reason: "" }, { reason: 5 }, { reason: "x", extra: 1 }]) {
      const r = await api("POST", "/api/v1/circuit-breaker/activate", body);
      expect(r.status).toBe(400);
      expectErrorShape(r.body, "ValidationError");
      expect(r.body.detail).toMatch(/reason|extra|body/);
    }
    const noBody = await api("POST", "/api/v1/circuit-breaker/activate", "not json", {
      "content-type": "application/json",
    });
    expect(noBody.status).toBe(400);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM circuit_breaker_events").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("concurrent activations record one trip; the others answer 409", async () => {
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM circuit_breaker_events").first<{ n: number }>())?.n ?? 0;
    const before = await count();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => api("POST", "/api/v1/circuit-breaker/activate", { reason: `click ${i}` })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(await count()).toBe(before + 1);
    const resets = await Promise.all([
      api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "a" }),
      api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "b" }),
    ]);
    expect(resets.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await count()).toBe(before + 2);
  });

  it("requires the operator token", async () => {
    const r = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "x" }, { authorization: "" });
    expect(r.status).toBe(401);
  });
});
