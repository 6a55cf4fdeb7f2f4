import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { benchPositionId } from "../src/api/bench-seed";
import { createApp } from "../src/app";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { fake } from "./helpers/fake";

/** The Worker as the bench's wrangler dev runs it: the same app, BENCH_SEED_ENABLED set. */
async function benchApi(method: string, path: string, body?: unknown, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`https://walltrack.test${path}`, {
      method,
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
    { ...env, BENCH_SEED_ENABLED: "1", ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

beforeEach(async () => {
  await fake.reset();
});

describe("bench seeding route (scripts/bench.mjs only)", () => {
  it("does not exist without BENCH_SEED_ENABLED: 404 NotFound envelope, nothing opened, not in /openapi.json", async () => {
    const mint = randomAddress();
    const body = { mints: [mint], source_wallet_address: randomAddress(), entry_price_usd: 1 };
    const res = await api("POST", "/api/v1/bench/positions", body);
    expect(res.status).toBe(404);
    expectErrorShape(res.body, "NotFound");
    expect((await api("GET", "/api/v1/bench/price-feed")).status).toBe(404);
    // "0" / "false" mean off, as unset does.
    for (const off of ["0", "false", ""])
      expect((await benchApi("POST", "/api/v1/bench/positions", body, { BENCH_SEED_ENABLED: off })).status).toBe(404);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE id = ?")
      .bind(benchPositionId(mint))
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
    const doc = await api("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths).some((p) => p.includes("bench"))).toBe(false);
  });

  it("still asks for the operator token when enabled", async () => {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request("https://walltrack.test/api/v1/bench/price-feed"),
      { ...env, BENCH_SEED_ENABLED: "1" },
      ctx,
    );
    expect(res.status).toBe(401);
  });

  it("opens simulation positions through the PositionActor, which then poll through the PriceFeed", async () => {
    const mints = [randomAddress(), randomAddress(), randomAddress()];
    await fake.tokens(...mints.map((mint) => ({ mint, price_usd: 0.5, decimals: 6 })));
    const leader = randomAddress();
    const res = await benchApi("POST", "/api/v1/bench/positions", {
      mints,
      source_wallet_address: leader,
      entry_price_usd: 0.4,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ opened: 3, created: 3 });
    const actors = mints.map((m) => env.POSITION_ACTOR.getByName(benchPositionId(m)));
    try {
      // The real actor holds it and has armed its poll; D1 has the row.
      for (const a of actors)
        expect(await runInDurableObject(a, (_i, state) => state.storage.getAlarm())).not.toBeNull();
      const rows = await env.DB.prepare(
        "SELECT mode, status, source_wallet_address, entry_price_usd FROM positions WHERE id IN (?, ?, ?)",
      )
        .bind(...mints.map(benchPositionId))
        .all();
      expect(rows.results).toHaveLength(3);
      expect(rows.results.every((r) => r.mode === "simulation" && r.status === "open")).toBe(true);
      // A repeated seed is the idempotent re-open: nothing new.
      const again = await benchApi("POST", "/api/v1/bench/positions", {
        mints,
        source_wallet_address: leader,
        entry_price_usd: 0.4,
      });
      expect(again.body).toMatchObject({ opened: 3, created: 0 });
      // Their poll goes through the PriceFeed to (fake) Jupiter.
      const before = (await benchApi("GET", "/api/v1/bench/price-feed")).body;
      await runDurableObjectAlarm(actors[0] as DurableObjectStub);
      const after = (await benchApi("GET", "/api/v1/bench/price-feed")).body;
      expect(after.requests - before.requests).toBe(1);
      expect((await fake.calls())["jupiter.price"]).toBeGreaterThanOrEqual(1);
      const polled = await env.DB.prepare("SELECT current_price_usd FROM positions WHERE id = ?")
        .bind(benchPositionId(mints[0] as string))
        .first<{ current_price_usd: number }>();
      expect(polled?.current_price_usd).toBe(0.5);
    } finally {
      await Promise.all(actors.map((a) => runInDurableObject(a, (_i, state) => state.storage.deleteAlarm())));
    }
  });

  it("refuses bad input with the error envelope and opens nothing", async () => {
    const good = randomAddress();
    for (const bad of [
      "not json",
      {},
      { mints: [], source_wallet_address: randomAddress(), entry_price_usd: 1 },
      { mints: ["nope"], source_wallet_address: randomAddress(), entry_price_usd: 1 },
      { mints: [good, good], source_wallet_address: randomAddress(), entry_price_usd: 1 },
      { mints: [good], source_wallet_address: randomAddress(), entry_price_usd: -1 },
      {
        mints: Array.from({ length: 201 }, () => randomAddress()),
        source_wallet_address: randomAddress(),
        entry_price_usd: 1,
      },
      { mints: [good], source_wallet_address: randomAddress(), entry_price_usd: 1, mode: "live" },
    ]) {
      const res = await benchApi("POST", "/api/v1/bench/positions", bad);
      expect(res.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
      expectErrorShape(res.body, "ValidationError");
    }
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM positions WHERE id = ?")
      .bind(benchPositionId(good))
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});
