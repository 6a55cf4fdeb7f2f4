import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { raiseAlert } from "../src/db/alerts";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { mint, resetBreaker } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition } from "./helpers/positions";
import { ui, uiSession } from "./helpers/ui";

beforeEach(async () => {
  await fake.reset();
  await resetBreaker();
  await env.DB.prepare("DELETE FROM audit_log").run();
});

const lastAudit = async () => {
  const res = await api("GET", "/api/v1/audit?page_size=1");
  expect(res.status).toBe(200);
  return res.body.items[0];
};

describe("audit trail", () => {
  it("a config change is recorded with who, what, before and after; the token never appears", async () => {
    const before = (await api("GET", "/api/v1/config")).body.max_open_positions;
    const res = await api("PATCH", "/api/v1/config", { max_open_positions: before + 1 });
    expect(res.status).toBe(200);
    const a = await lastAudit();
    expect(a).toMatchObject({
      channel: "api",
      action: "PATCH /api/v1/config",
      subject: "/api/v1/config",
      outcome_status: 200,
      request: { max_open_positions: before + 1 },
    });
    expect(a.actor).toMatch(/^token:[0-9a-f]{8}$/);
    expect(a.before.max_open_positions).toBe(before);
    expect(a.after.max_open_positions).toBe(before + 1);
    const raw = await env.DB.prepare("SELECT * FROM audit_log").all();
    expect(JSON.stringify(raw.results)).not.toContain(OPERATOR_TOKEN);
    await api("PATCH", "/api/v1/config", { max_open_positions: before });
  });

  it("records every kind of operator action: wallet, strategy, exit, breaker, alert, portfolio", async () => {
    const address = randomAddress();
    const created = await api("POST", "/api/v1/wallets", { address, label: "audited" });
    expect(created.status).toBe(201);
    await api("PATCH", `/api/v1/wallets/${address}`, { label: "renamed" });
    const strat = await api("POST", "/api/v1/exit-strategies", { name: `audit-${Date.now()}`, stop_loss_percent: 10 });
    expect(strat.status).toBe(201);
    const m = mint("AUDITX");
    await fake.tokens({ mint: m, price_usd: 1 });
    const p = await openPosition(m);
    const exit = await api("POST", `/api/v1/positions/${p.id}/exit`, { percent: 50 });
    expect(exit.status).toBe(202);
    await api("POST", "/api/v1/circuit-breaker/activate", { reason: "audit" });
    await api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "audit done" });
    await api("POST", "/api/wallets/", { address: randomAddress(), label: "mine" });
    await api("DELETE", `/api/v1/wallets/${address}`);
    const alert = await raiseAlert(env.DB, { kind: "cron_late", subject: `audit-${Date.now()}`, message: "late" });
    expect((await api("POST", `/api/v1/alerts/${alert?.id}/ack`)).status).toBe(200);

    const all = (await api("GET", "/api/v1/audit?page_size=50")).body.items as any[];
    const actions = all.map((a) => a.action);
    for (const want of [
      "POST /api/v1/wallets",
      "PATCH /api/v1/wallets/:id_or_address",
      "DELETE /api/v1/wallets/:id_or_address",
      "POST /api/v1/exit-strategies",
      "POST /api/v1/positions/:id/exit",
      "POST /api/v1/circuit-breaker/activate",
      "POST /api/v1/circuit-breaker/deactivate",
    ])
      expect(actions).toContain(want);
    expect(actions.some((a) => a.startsWith("POST /api/wallets"))).toBe(true);
    const patch = all.find((a) => a.action === "PATCH /api/v1/wallets/:id_or_address");
    expect(patch.before.label).toBe("audited");
    expect(patch.after.label).toBe("renamed");
    const trip = all.find((a) => a.action === "POST /api/v1/circuit-breaker/activate");
    expect(trip.before.open).toBe(false);
    expect(trip.after.open).toBe(true);
    const ex = all.find((a) => a.action === "POST /api/v1/positions/:id/exit");
    expect(ex.before.id).toBe(p.id);
    expect(ex.request).toEqual({ percent: 50 });
    const ack = all.find((a) => a.action === "POST /api/v1/alerts/:id/ack");
    expect(ack.before.status).toBe("open");
    expect(ack.after.status).toBe("acknowledged");
    // reads are not actions
    expect(actions.some((a) => a.startsWith("GET "))).toBe(false);
  });

  it("a refused action is recorded with its status", async () => {
    const res = await api("PATCH", "/api/v1/config", { safety_threshold: 7 });
    expect(res.status).toBe(400);
    const a = await lastAudit();
    expect(a).toMatchObject({ action: "PATCH /api/v1/config", outcome_status: 400 });
    expect(a.after.error).toBe("ValidationError");
  });

  it("dashboard actions are recorded with the session as who", async () => {
    const { cookie, csrf } = await uiSession();
    const res = await ui("POST", "/circuit-breaker/trip", {
      cookie,
      form: { _csrf: csrf, reason: "from the dashboard" },
    });
    expect(res.status).toBe(303);
    const all = (await api("GET", "/api/v1/audit?channel=dashboard")).body.items as any[];
    const trip = all.find((a) => a.action === "circuit_breaker.activate");
    expect(trip).toBeDefined();
    expect(trip.actor).toMatch(/^session:\d+$/);
    expect(trip.before.open).toBe(false);
    expect(trip.after.open).toBe(true);
    expect(all.map((a) => a.action)).toContain("session.login");
  });

  it("filters and bad input", async () => {
    await api("PATCH", "/api/v1/config", { safety_threshold: 0.6 });
    const filtered = await api("GET", "/api/v1/audit?action=config&channel=api");
    expect(filtered.status).toBe(200);
    expect(filtered.body.items.every((a: { action: string }) => a.action.includes("config"))).toBe(true);
    const bad = await api("GET", "/api/v1/audit?since=yesterday");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
  });
});
