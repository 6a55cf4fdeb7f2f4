import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";

const strategyCount = async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM exit_strategies").first<{ n: number }>())?.n ?? 0;
const defaults = async () =>
  (await env.DB.prepare("SELECT id FROM exit_strategies WHERE is_default = 1").all<{ id: number }>()).results.map(
    (r) => r.id,
  );
let seq = 0;
const uniqueName = () => `Strategy ${Date.now()}-${seq++}`;

const valid = () => ({
  name: uniqueName(),
  description: "test",
  stop_loss_percent: 20,
  trailing_stop_percent: 10,
  trailing_activation_percent: 40,
  scaling_levels: [
    { multiple: 2, sell_percent: 40 },
    { multiple: 4, sell_percent: 60 },
  ],
  mirror_exit_enabled: false,
  max_hold_minutes: 600,
  take_profit_table: [
    { after_minutes: 60, min_profit_percent: 50 },
    { after_minutes: 240, min_profit_percent: 10 },
  ],
});

describe("exit-strategy CRUD", () => {
  it("lists the seeded catalog with decoded rules", async () => {
    const res = await api("GET", "/api/v1/exit-strategies");
    expect(res.status).toBe(200);
    const def = res.body.find((s: { name: string }) => s.name === "Default");
    expect(def).toMatchObject({
      is_default: true,
      stop_loss_percent: 20,
      scaling_levels: [
        { multiple: 2, sell_percent: 50 },
        { multiple: 3, sell_percent: 25 },
      ],
      take_profit_table: [],
    });
  });

  it("round-trips create → get → patch → put → delete", async () => {
    const body = valid();
    const created = await api("POST", "/api/v1/exit-strategies", body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, is_default: false });
    const got = await api("GET", `/api/v1/exit-strategies/${created.body.id}`);
    expect(got.body).toEqual(created.body);

    const patched = await api("PATCH", `/api/v1/exit-strategies/${created.body.id}`, { stop_loss_percent: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ stop_loss_percent: null, trailing_stop_percent: 10, max_hold_minutes: 600 });

    const put = await api("PUT", `/api/v1/exit-strategies/${created.body.id}`, {
      name: body.name,
      stop_loss_percent: 30,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      stop_loss_percent: 30,
      trailing_stop_percent: null,
      scaling_levels: [],
      mirror_exit_enabled: true,
      description: null,
    });

    expect((await api("DELETE", `/api/v1/exit-strategies/${created.body.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/exit-strategies/${created.body.id}`)).status).toBe(404);
  });

  const bad: [string, string, Record<string, unknown>][] = [
    ["no name", "name", { stop_loss_percent: 10 }],
    ["stop loss > 100", "stop_loss_percent", { stop_loss_percent: 150 }],
    ["stop loss 0", "stop_loss_percent", { stop_loss_percent: 0 }],
    ["trailing < 0", "trailing_stop_percent", { trailing_stop_percent: -5 }],
    [
      "scaling sum > 100",
      "scaling_levels",
      {
        scaling_levels: [
          { multiple: 2, sell_percent: 60 },
          { multiple: 3, sell_percent: 50 },
        ],
      },
    ],
    [
      "scaling multiples not increasing",
      "scaling_levels.1.multiple",
      {
        scaling_levels: [
          { multiple: 3, sell_percent: 20 },
          { multiple: 3, sell_percent: 20 },
        ],
      },
    ],
    ["scaling multiple <= 1", "scaling_levels.0.multiple", { scaling_levels: [{ multiple: 1, sell_percent: 20 }] }],
    ["sell percent > 100", "scaling_levels.0.sell_percent", { scaling_levels: [{ multiple: 2, sell_percent: 120 }] }],
    ["max hold not integer", "max_hold_minutes", { max_hold_minutes: 1.5 }],
    ["unknown field", "take_profit", { take_profit: 5 }],
    ["activation without trail", "trailing_activation_percent", { trailing_activation_percent: 20 }],
  ];
  for (const [what, field, extra] of bad) {
    it(`refuses ${what} with 400 naming ${field}, storing nothing`, async () => {
      const n0 = await strategyCount();
      const body = what === "no name" ? extra : { name: uniqueName(), ...extra };
      const res = await api("POST", "/api/v1/exit-strategies", body);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, "ValidationError");
      expect(res.body.detail).toContain(field);
      expect(await strategyCount()).toBe(n0);
    });
  }

  it("refuses a PATCH that breaks a rule once merged, storing nothing", async () => {
    const created = (await api("POST", "/api/v1/exit-strategies", valid())).body;
    const res = await api("PATCH", `/api/v1/exit-strategies/${created.id}`, {
      scaling_levels: [
        { multiple: 5, sell_percent: 10 },
        { multiple: 2, sell_percent: 10 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("scaling_levels");
    const cleared = await api("PATCH", `/api/v1/exit-strategies/${created.id}`, { trailing_stop_percent: null });
    expect(cleared.status).toBe(400);
    expect(cleared.body.detail).toContain("trailing_activation_percent");
    expect((await api("GET", `/api/v1/exit-strategies/${created.id}`)).body).toEqual(created);
  });

  it("refuses a duplicate name with 409", async () => {
    const body = valid();
    expect((await api("POST", "/api/v1/exit-strategies", body)).status).toBe(201);
    const n0 = await strategyCount();
    const dup = await api("POST", "/api/v1/exit-strategies", body);
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain("name");
    expect(await strategyCount()).toBe(n0);
  });
});

describe("exactly one default", () => {
  it("moves the default on create and on patch, never leaving zero or two", async () => {
    const before = await defaults();
    expect(before).toHaveLength(1);
    const created = (await api("POST", "/api/v1/exit-strategies", { ...valid(), is_default: true })).body;
    expect(created.is_default).toBe(true);
    expect(await defaults()).toEqual([created.id]);

    const back = await api("PATCH", `/api/v1/exit-strategies/${before[0]}`, { is_default: true });
    expect(back.status).toBe(200);
    expect(await defaults()).toEqual(before);

    // unsetting the default directly is refused
    const unset = await api("PATCH", `/api/v1/exit-strategies/${before[0]}`, { is_default: false });
    expect(unset.status).toBe(422);
    expect(unset.body.detail).toContain("is_default");
    expect(await defaults()).toEqual(before);

    // the default cannot be deleted
    const del = await api("DELETE", `/api/v1/exit-strategies/${before[0]}`);
    expect(del.status).toBe(409);
    expect(await defaults()).toEqual(before);
  });

  it("concurrent default switches still leave exactly one default", async () => {
    const a = (await api("POST", "/api/v1/exit-strategies", valid())).body;
    const b = (await api("POST", "/api/v1/exit-strategies", valid())).body;
    const results = await Promise.all([
      api("PATCH", `/api/v1/exit-strategies/${a.id}`, { is_default: true }),
      api("PATCH", `/api/v1/exit-strategies/${b.id}`, { is_default: true }),
    ]);
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(await defaults()).toHaveLength(1);
  });
});

describe("strategies in use", () => {
  it("cannot delete a strategy used by a wallet or an open position (409); unused afterwards → 204", async () => {
    const s = (await api("POST", "/api/v1/exit-strategies", valid())).body;
    const address = randomAddress();
    const w = (await api("POST", "/api/v1/wallets", { address, exit_strategy_id: s.id })).body;
    const byWallet = await api("DELETE", `/api/v1/exit-strategies/${s.id}`);
    expect(byWallet.status).toBe(409);
    expectErrorShape(byWallet.body, "Conflict");
    expect(byWallet.body.detail).toContain("wallet");

    const other = (await api("GET", "/api/v1/exit-strategies")).body.find((x: { is_default: boolean }) => x.is_default);
    await api("PATCH", `/api/v1/wallets/${w.id}`, { exit_strategy_id: other.id });
    await env.DB.prepare(
      `INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status,
         exit_strategy_id, entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
       VALUES (?, ?, ?, ?, 6, 'simulation', 'open', ?, 1, '1', 1, '1', ?)`,
    )
      .bind(crypto.randomUUID(), w.id, address, randomAddress(), s.id, new Date().toISOString())
      .run();
    const byPosition = await api("DELETE", `/api/v1/exit-strategies/${s.id}`);
    expect(byPosition.status).toBe(409);
    expect(byPosition.body.detail).toContain("open position");
    expect((await api("GET", `/api/v1/exit-strategies/${s.id}`)).status).toBe(200);

    const unused = (await api("POST", "/api/v1/exit-strategies", valid())).body;
    expect((await api("DELETE", `/api/v1/exit-strategies/${unused.id}`)).status).toBe(204);
  });

  it("answers 404 for an unknown strategy and 400 for a malformed id", async () => {
    expect((await api("GET", "/api/v1/exit-strategies/99999")).status).toBe(404);
    expect((await api("PATCH", "/api/v1/exit-strategies/99999", { stop_loss_percent: 5 })).status).toBe(404);
    expect((await api("DELETE", "/api/v1/exit-strategies/99999")).status).toBe(404);
    expect((await api("GET", "/api/v1/exit-strategies/abc")).status).toBe(400);
  });

  it("the OpenAPI document still builds with the new routes", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    for (const p of ["/api/v1/exit-strategies/{id}", "/api/v1/wallets/{id_or_address}", "/api/v1/config/history"])
      expect(Object.keys(res.body.paths)).toContain(p);
  });
});
