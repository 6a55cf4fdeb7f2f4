import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { CRON_JOBS } from "../src/scheduled";
import { api, expectErrorShape } from "./helpers/api";

describe("migrations", () => {
  it("seed exactly one config row with defaults and three strategies with one default", async () => {
    const cfg = await env.DB.prepare("SELECT * FROM config").all();
    expect(cfg.results).toHaveLength(1);
    expect(cfg.results[0]).toMatchObject({
      id: 1,
      safety_threshold: 0.6,
      max_signal_age_seconds: 60,
      slippage_bps: 300,
    });
    const strategies = await env.DB.prepare("SELECT name, is_default FROM exit_strategies ORDER BY id").all();
    expect(strategies.results.map((s) => s.name)).toEqual(["Default", "Conservative", "Aggressive"]);
    expect(strategies.results.filter((s) => s.is_default === 1)).toHaveLength(1);
  });

  it("refuse a second config row and a second default strategy", async () => {
    await expect(env.DB.prepare("INSERT INTO config (id) VALUES (2)").run()).rejects.toThrow(/CHECK/);
    await expect(
      env.DB.prepare("INSERT INTO exit_strategies (name, is_default) VALUES ('Other', 1)").run(),
    ).rejects.toThrow(/UNIQUE/);
  });

  it("create every table of the model", async () => {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{
      name: string;
    }>();
    const names = results.map((r) => r.name);
    for (const t of [
      "config",
      "config_history",
      "exit_strategies",
      "wallets",
      "tokens",
      "signals",
      "orders",
      "positions",
      "performance",
      "circuit_breaker_events",
      "wallet_info",
      "token_holdings",
      "scheduled_funding",
      "launches",
      "job_runs",
    ])
      expect(names).toContain(t);
  });
});

describe("operator auth", () => {
  it("answers 401 without a token and with a wrong one, 200 with the right one", async () => {
    const none = await api("GET", "/api/v1/config", undefined, { authorization: "" });
    expect(none.status).toBe(401);
    expectErrorShape(none.body, "Unauthorized");
    const wrong = await api("GET", "/api/v1/config", undefined, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expectErrorShape(wrong.body, "Unauthorized");
    const ok = await api("GET", "/api/v1/config");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      capital_usd: 1000,
      position_sizing_mode: "fixed_usd",
      helius_transaction_types: ["ANY"],
    });
  });

  it("answers 503 NotConfigured when OPERATOR_TOKEN is unset, never 200", async () => {
    const res = await worker.fetch(
      new Request("https://walltrack.test/api/v1/config", { headers: { authorization: "Bearer anything" } }),
      { ...env, OPERATOR_TOKEN: undefined },
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expectErrorShape(await res.json(), "NotConfigured");
    const empty = await worker.fetch(
      new Request("https://walltrack.test/api/v1/config", { headers: { authorization: "Bearer " } }),
      { ...env, OPERATOR_TOKEN: "" },
      createExecutionContext(),
    );
    expect(empty.status).toBe(503);
  });
});

describe("errors", () => {
  it("unknown routes answer the JSON error envelope", async () => {
    const res = await api("GET", "/nope");
    expect(res.status).toBe(404);
    expectErrorShape(res.body, "NotFound");
    const apiRes = await api("GET", "/api/v1/nope");
    expect(apiRes.status).toBe(404);
    expectErrorShape(apiRes.body, "NotFound");
  });

  it("a thrown exception answers 500 without a stack or message leak", async () => {
    const broken = {
      ...env,
      DB: {
        prepare: () => {
          throw new Error("secret-internal-detail at line 42");
        },
      },
    };
    const res = await worker.fetch(
      new Request("https://walltrack.test/api/v1/config", { headers: { authorization: "Bearer test-operator-token" } }),
      broken as unknown as Env,
      createExecutionContext(),
    );
    expect(res.status).toBe(500);
    const body = await res.json();
    expectErrorShape(body, "InternalError");
    expect(JSON.stringify(body)).not.toContain("secret-internal-detail");
  });
});

describe("public endpoints", () => {
  it("GET /health reports the database and version without auth", async () => {
    const res = await exports.default.fetch("https://walltrack.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: "ok", version: expect.any(String) });
  });

  it("GET /openapi.json is an OpenAPI 3 document listing the routes", async () => {
    const res = await exports.default.fetch("https://walltrack.test/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/api/v1/config"]));
    expect(JSON.stringify(doc.components)).toContain("bearerAuth");
  });

  it("GET /docs serves Swagger UI", async () => {
    const res = await exports.default.fetch("https://walltrack.test/docs");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("swagger");
  });
});

describe("scheduled()", () => {
  it("routes each cron expression of wrangler.toml to its job and records the run", async () => {
    expect(Object.keys(CRON_JOBS).sort()).toEqual(["* * * * *", "*/5 * * * *", "0 * * * *", "0 0 * * *"].sort());
    for (const [cron, { name }] of Object.entries(CRON_JOBS)) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env, ctx);
      await waitOnExecutionContext(ctx);
      const row = await env.DB.prepare("SELECT * FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1")
        .bind(name)
        .first();
      expect(row, `job ${name}`).toMatchObject({ job: name, cron });
      expect(row?.finished_at).toBeTruthy();
    }
  });

  it("ignores an unknown cron without recording a run", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM job_runs").first<{ n: number }>();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "1 2 3 4 5" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM job_runs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

describe("durable objects", () => {
  it("each class answers an RPC call", async () => {
    const w = await env.WALLET_ACTOR.getByName("wallet-a").status();
    expect(w).toMatchObject({ actor: "WalletActor", name: "wallet-a" });
    expect(await env.POSITION_ACTOR.getByName("pos-1").status()).toMatchObject({ actor: "PositionActor" });
    expect(await env.SWAP_QUEUE.getByName("default").status()).toMatchObject({ actor: "SwapQueue" });
    expect(await env.PRICE_FEED.getByName("default").status()).toMatchObject({ actor: "PriceFeed" });
  });
});
