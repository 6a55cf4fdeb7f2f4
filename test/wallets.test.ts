import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { base58OfLength, randomAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";
import { fake } from "./helpers/fake";
import { newSolanaSecretKey } from "./helpers/keys";

const TRADING = await newSolanaSecretKey();
const TRADING_KEY = TRADING.secret;
const TRADING_SEED = TRADING.seed;

const walletCount = async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM wallets").first<{ n: number }>())?.n ?? 0;
const defaultStrategyId = async () =>
  (await env.DB.prepare("SELECT id FROM exit_strategies WHERE is_default = 1").first<{ id: number }>())?.id;

async function openPosition(walletId: number, address: string, status = "open") {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status,
       entry_price_usd, entry_amount, entry_cost_usd, current_amount, opened_at)
     VALUES (?, ?, ?, ?, 6, 'simulation', ?, 0.01, '1000000', 10, '1000000', ?)`,
  )
    .bind(id, walletId, address, randomAddress(), status, new Date().toISOString())
    .run();
  return id;
}

beforeEach(async () => {
  await fake.reset();
});

describe("POST /api/v1/wallets", () => {
  it("creates a wallet with the default strategy and pending sync, then reads it back by id and by address", async () => {
    const address = randomAddress();
    const res = await api("POST", "/api/v1/wallets", {
      address,
      label: "whale",
      capital_allocation_percent: 10,
      discovery_source: "gmgn",
      discovery_date: "2026-11-01",
      discovery_notes: "fast pump.fun sniper",
      initial_win_rate_percent: 62.5,
      initial_trades_observed: 40,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      address,
      label: "whale",
      mode: "simulation",
      is_active: true,
      exit_strategy_id: await defaultStrategyId(),
      capital_allocation_percent: 10,
      discovery_source: "gmgn",
      discovery_date: "2026-11-01",
      initial_win_rate_percent: 62.5,
      initial_trades_observed: 40,
      helius_sync_status: "pending",
    });
    const byId = await api("GET", `/api/v1/wallets/${res.body.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(res.body);
    const byAddress = await api("GET", `/api/v1/wallets/${address}`);
    expect(byAddress.status).toBe(200);
    expect(byAddress.body).toEqual(res.body);
  });

  it("accepts an explicit strategy", async () => {
    const aggressive = await env.DB.prepare("SELECT id FROM exit_strategies WHERE name = 'Aggressive'").first<{
      id: number;
    }>();
    const res = await api("POST", "/api/v1/wallets", { address: randomAddress(), exit_strategy_id: aggressive?.id });
    expect(res.status).toBe(201);
    expect(res.body.exit_strategy_id).toBe(aggressive?.id);
  });

  const badBodies: [string, number, string, () => Record<string, unknown>][] = [
    ["no address", 400, "address", () => ({ label: "x" })],
    ["not base58 (0, O, I, l)", 400, "address", () => ({ address: "0OIl".repeat(11) })],
    ["base58 of 31 bytes", 400, "address", () => ({ address: base58OfLength(31) })],
    ["base58 of 33 bytes", 400, "address", () => ({ address: base58OfLength(33) })],
    ["address with spaces", 400, "address", () => ({ address: ` ${randomAddress()}` })],
    ["bad mode", 400, "mode", () => ({ address: randomAddress(), mode: "paper" })],
    [
      "allocation > 100",
      400,
      "capital_allocation_percent",
      () => ({ address: randomAddress(), capital_allocation_percent: 150 }),
    ],
    [
      "allocation 0",
      400,
      "capital_allocation_percent",
      () => ({ address: randomAddress(), capital_allocation_percent: 0 }),
    ],
    [
      "win rate < 0",
      400,
      "initial_win_rate_percent",
      () => ({ address: randomAddress(), initial_win_rate_percent: -1 }),
    ],
    [
      "trades not integer",
      400,
      "initial_trades_observed",
      () => ({ address: randomAddress(), initial_trades_observed: 1.5 }),
    ],
    ["bad date", 400, "discovery_date", () => ({ address: randomAddress(), discovery_date: "yesterday" })],
    ["unknown field", 400, "helius_sync_status", () => ({ address: randomAddress(), helius_sync_status: "synced" })],
    [
      "leader range",
      400,
      "min_leader_trade_sol",
      () => ({ address: randomAddress(), min_leader_trade_sol: 5, max_leader_trade_sol: 1 }),
    ],
    ["unknown strategy", 422, "exit_strategy_id", () => ({ address: randomAddress(), exit_strategy_id: 999999 })],
    ["live without WALLET_PRIVATE_KEY", 422, "WALLET_PRIVATE_KEY", () => ({ address: randomAddress(), mode: "live" })],
  ];
  for (const [name, status, field, body] of badBodies) {
    it(`refuses ${name} with ${status} naming ${field}, storing nothing`, async () => {
      const n0 = await walletCount();
      const res = await api("POST", "/api/v1/wallets", body());
      expect(res.status).toBe(status);
      expectErrorShape(res.body, status === 400 ? "ValidationError" : "RuleRefused");
      expect(res.body.detail).toContain(field);
      expect(await walletCount()).toBe(n0);
    });
  }

  it("refuses a duplicate address with 409", async () => {
    const address = randomAddress();
    expect((await api("POST", "/api/v1/wallets", { address })).status).toBe(201);
    const n0 = await walletCount();
    const dup = await api("POST", "/api/v1/wallets", { address, label: "again" });
    expect(dup.status).toBe(409);
    expectErrorShape(dup.body, "Conflict");
    expect(dup.body.detail).toContain("address");
    expect(await walletCount()).toBe(n0);
  });

  it("two concurrent creations of the same address yield exactly one wallet", async () => {
    const address = randomAddress();
    const results = await Promise.all([
      api("POST", "/api/v1/wallets", { address, label: "a" }),
      api("POST", "/api/v1/wallets", { address, label: "b" }),
      api("POST", "/api/v1/wallets", { address, label: "c" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM wallets WHERE address = ?").bind(address).first();
    expect(rows?.n).toBe(1);
  });
});

describe("GET /api/v1/wallets", () => {
  it("filters by mode and is_active and paginates with {items,total,page,page_size}", async () => {
    const made: number[] = [];
    for (let i = 0; i < 3; i++) made.push((await api("POST", "/api/v1/wallets", { address: randomAddress() })).body.id);
    await api("PATCH", `/api/v1/wallets/${made[0]}`, { is_active: false });
    const all = await api("GET", "/api/v1/wallets?page_size=200");
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(await walletCount());
    expect(all.body.items).toHaveLength(all.body.total);
    expect(all.body.page).toBe(1);
    expect(all.body.page_size).toBe(200);

    const inactive = await api("GET", "/api/v1/wallets?is_active=false&page_size=200");
    expect(inactive.body.items.every((w: { is_active: boolean }) => !w.is_active)).toBe(true);
    expect(inactive.body.items.map((w: { id: number }) => w.id)).toContain(made[0]);
    const active = await api("GET", "/api/v1/wallets?is_active=true&mode=simulation&page_size=200");
    expect(active.body.items.map((w: { id: number }) => w.id)).not.toContain(made[0]);
    expect(active.body.total + inactive.body.total).toBe(all.body.total);
    expect((await api("GET", "/api/v1/wallets?mode=live")).body.total).toBe(0);

    const p2 = await api("GET", "/api/v1/wallets?page=2&page_size=1");
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.items[0].id).toBe(all.body.items[1].id);
    expect((await api("GET", "/api/v1/wallets?mode=paper")).status).toBe(400);
    expect((await api("GET", "/api/v1/wallets?is_active=maybe")).status).toBe(400);
  });

  it("answers 404 for an unknown id or address and 400 for a malformed key", async () => {
    const a = await api("GET", "/api/v1/wallets/999999");
    expect(a.status).toBe(404);
    expectErrorShape(a.body, "NotFound");
    expect((await api("GET", `/api/v1/wallets/${randomAddress()}`)).status).toBe(404);
    const bad = await api("GET", "/api/v1/wallets/not-an-address");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("id_or_address");
  });
});

describe("PUT / PATCH /api/v1/wallets/{id_or_address}", () => {
  it("PATCH changes only the given fields; PUT replaces all (omitted → default)", async () => {
    const address = randomAddress();
    const created = (await api("POST", "/api/v1/wallets", { address, label: "one", discovery_source: "x" })).body;
    const patched = await api("PATCH", `/api/v1/wallets/${address}`, { label: "two" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: created.id, label: "two", discovery_source: "x" });
    expect((await api("GET", `/api/v1/wallets/${created.id}`)).body.label).toBe("two");

    const put = await api("PUT", `/api/v1/wallets/${created.id}`, {
      address,
      label: "three",
      initial_trades_observed: 3,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ label: "three", discovery_source: null, initial_trades_observed: 3 });
    expect(put.body.exit_strategy_id).toBe(await defaultStrategyId());
  });

  it("refuses bad updates with the right status and stores nothing", async () => {
    const address = randomAddress();
    const created = (await api("POST", "/api/v1/wallets", { address, label: "keep" })).body;
    const cases: [string, unknown, number, string][] = [
      ["PATCH", { capital_allocation_percent: 101 }, 400, "capital_allocation_percent"],
      ["PATCH", { exit_strategy_id: 424242 }, 422, "exit_strategy_id"],
      ["PATCH", { mode: "live" }, 422, "WALLET_PRIVATE_KEY"],
      ["PUT", { mode: "live", label: "x" }, 422, "WALLET_PRIVATE_KEY"],
      ["PATCH", { address: randomAddress() }, 422, "address"],
      ["PATCH", { address: "nope" }, 400, "address"],
      ["PATCH", { label: "ok", bogus: true }, 400, "bogus"],
      ["PATCH", { min_leader_trade_sol: 5, max_leader_trade_sol: 1 }, 400, "min_leader_trade_sol"],
      ["PATCH", { label: "" }, 400, "label"],
    ];
    for (const [method, body, status, field] of cases) {
      const res = await api(method, `/api/v1/wallets/${created.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expectErrorShape(res.body);
      expect(res.body.detail).toContain(field);
    }
    expect((await api("GET", `/api/v1/wallets/${created.id}`)).body).toEqual(created);
  });

  it("deactivation and re-activation return the wallet to helius_sync_status = pending", async () => {
    const created = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    await env.DB.prepare("UPDATE wallets SET helius_sync_status = 'synced' WHERE id = ?").bind(created.id).run();
    const off = await api("PATCH", `/api/v1/wallets/${created.id}`, { is_active: false });
    expect(off.body).toMatchObject({ is_active: false, helius_sync_status: "pending" });
    expect(off.body.deactivated_at).toEqual(expect.any(String));
    await env.DB.prepare("UPDATE wallets SET helius_sync_status = 'synced' WHERE id = ?").bind(created.id).run();
    const label = await api("PATCH", `/api/v1/wallets/${created.id}`, { label: "no sync change" });
    expect(label.body.helius_sync_status).toBe("synced");
    const on = await api("PATCH", `/api/v1/wallets/${created.id}`, { is_active: true });
    expect(on.body).toMatchObject({ is_active: true, helius_sync_status: "pending", deactivated_at: null });
  });
});

describe("DELETE /api/v1/wallets/{id_or_address}", () => {
  it("deletes a wallet without history (by address)", async () => {
    const address = randomAddress();
    await api("POST", "/api/v1/wallets", { address });
    const res = await api("DELETE", `/api/v1/wallets/${address}`);
    expect(res.status).toBe(204);
    expect((await api("GET", `/api/v1/wallets/${address}`)).status).toBe(404);
  });

  it("refuses (409) with an open or closing position; ?force=true deactivates and keeps everything", async () => {
    for (const status of ["open", "closing"]) {
      const address = randomAddress();
      const w = (await api("POST", "/api/v1/wallets", { address })).body;
      const positionId = await openPosition(w.id, address, status);
      const refused = await api("DELETE", `/api/v1/wallets/${w.id}`);
      expect(refused.status).toBe(409);
      expectErrorShape(refused.body, "Conflict");
      expect(refused.body.detail).toContain("force=true");
      expect((await api("GET", `/api/v1/wallets/${w.id}`)).body).toEqual(w);

      const forced = await api("DELETE", `/api/v1/wallets/${w.id}?force=true`);
      expect(forced.status).toBe(200);
      expect(forced.body).toMatchObject({ id: w.id, is_active: false, helius_sync_status: "pending" });
      const pos = await env.DB.prepare("SELECT wallet_id FROM positions WHERE id = ?").bind(positionId).first();
      expect(pos?.wallet_id).toBe(w.id);
    }
  });

  it("refuses (409) to delete a wallet whose closed history would be lost", async () => {
    const address = randomAddress();
    const w = (await api("POST", "/api/v1/wallets", { address })).body;
    await openPosition(w.id, address, "closed");
    const res = await api("DELETE", `/api/v1/wallets/${w.id}`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain("force=true");
    expect((await api("GET", `/api/v1/wallets/${w.id}`)).status).toBe(200);
  });

  it("answers 404 for an unknown wallet", async () => {
    expect((await api("DELETE", "/api/v1/wallets/987654")).status).toBe(404);
  });
});

describe("live mode with a trading key configured", () => {
  // The worker under another env: the same app, with WALLET_PRIVATE_KEY set (never returned or logged).
  async function callWithKey(method: string, path: string, body?: unknown, key = TRADING_KEY) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`https://walltrack.test${path}`, {
        method,
        headers: { authorization: "Bearer test-operator-token", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      { ...env, WALLET_PRIVATE_KEY: key },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const text = await res.text();
    expect(text).not.toContain(key);
    return { status: res.status, body: JSON.parse(text) };
  }
  const switchOn = (on: boolean) =>
    env.DB.prepare("UPDATE config SET live_trading_enabled = ? WHERE id = 1")
      .bind(on ? 1 : 0)
      .run();

  it("accepts live on create and on a switch", async () => {
    // The live gate (issue 14) is opened for this test: it is about the trading key alone.
    await env.DB.prepare("UPDATE config SET live_min_trades = 0 WHERE id = 1").run();
    await switchOn(true);
    const created = await callWithKey("POST", "/api/v1/wallets", { address: randomAddress(), mode: "live" });
    expect(created.status).toBe(201);
    expect(created.body.mode).toBe("live");
    const sim = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const switched = await callWithKey("PATCH", `/api/v1/wallets/${sim.id}`, { mode: "live" });
    expect(switched.status).toBe(200);
    expect(switched.body.mode).toBe("live");
    // without the key, an already-live wallet can still be edited and switched back to simulation
    expect((await api("PATCH", `/api/v1/wallets/${sim.id}`, { label: "still live" })).status).toBe(200);
    expect((await api("PATCH", `/api/v1/wallets/${sim.id}`, { mode: "simulation" })).status).toBe(200);
    await switchOn(false);
    await env.DB.prepare("UPDATE config SET live_min_trades = 10 WHERE id = 1").run();
  });

  it("guardrails: a malformed key, or the switch off, refuses live with 422 naming which (POST, PATCH, PUT)", async () => {
    await env.DB.prepare("UPDATE config SET live_min_trades = 0 WHERE id = 1").run();
    const sim = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    // switch on, key malformed (right length in characters, not a key): the reason names the key, never echoes it
    await switchOn(true);
    for (const bad of ["not-a-real-key-but-present", "1".repeat(88), TRADING_SEED.slice(0, -4)]) {
      const r = await callWithKey("PATCH", `/api/v1/wallets/${sim.id}`, { mode: "live" }, bad);
      expect(r.status).toBe(422);
      expectErrorShape(r.body, "RuleRefused");
      expect(r.body.detail).toMatch(/valid key: WALLET_PRIVATE_KEY is not a base58 Solana secret key/);
      expect(r.body.detail).not.toMatch(/switched off/);
    }
    // valid key, switch off
    await switchOn(false);
    for (const [method, path, body] of [
      ["PATCH", `/api/v1/wallets/${sim.id}`, { mode: "live" }],
      ["PUT", `/api/v1/wallets/${sim.id}`, { mode: "live", label: "x" }],
      ["POST", "/api/v1/wallets", { address: randomAddress(), mode: "live" }],
    ] as const) {
      const r = await callWithKey(method, path, body);
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/live trading is switched off \(config live_trading_enabled is false\)/);
      expect(r.body.detail).not.toMatch(/WALLET_PRIVATE_KEY/);
    }
    // both wrong: both named
    const both = await callWithKey("PATCH", `/api/v1/wallets/${sim.id}`, { mode: "live" }, "xyz");
    expect(both.body.detail).toMatch(/valid key.*; mode: live trading is switched off/);
    // the 32-byte seed alone is a valid key too
    await switchOn(true);
    const seeded = await callWithKey("PATCH", `/api/v1/wallets/${sim.id}`, { mode: "live" }, TRADING_SEED);
    expect(seeded.status).toBe(200);
    await switchOn(false);
    await env.DB.prepare("UPDATE config SET live_min_trades = 10 WHERE id = 1").run();
    const row = await env.DB.prepare("SELECT mode FROM wallets WHERE id = ?").bind(sim.id).first<{ mode: string }>();
    expect(row?.mode).toBe("live");
  });
});

/**
 * A D1 binding whose first statement matching `match` lets `before` run first (on the real binding): a
 * concurrent writer landing exactly between a route's read and its write, deterministically.
 */
function racingD1(real: D1Database, match: RegExp, before: () => Promise<unknown>): D1Database {
  let fired = false;
  const fire = async (query: string) => {
    if (fired || !match.test(query)) return;
    fired = true;
    await before();
  };
  const unwrap = new WeakMap<object, { stmt: D1PreparedStatement; query: string }>();
  const wrap = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args), query);
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
          return async (...args: unknown[]) => {
            await fire(query);
            return (target as any)[prop](...args);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    unwrap.set(proxy, { stmt, query });
    return proxy;
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          for (const s of stmts) await fire(unwrap.get(s)?.query ?? "");
          return target.batch(stmts.map((s) => unwrap.get(s)?.stmt ?? s));
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("If-Match on PUT / PATCH /api/v1/wallets/{id} (optimistic concurrency, issue 13)", () => {
  async function call(
    overrides: Partial<Env>,
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`https://walltrack.test${path}`, {
        method,
        headers: { authorization: "Bearer test-operator-token", "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
      { ...env, ...overrides },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: JSON.parse(await res.text()) };
  }
  const row = (id: number) =>
    env.DB.prepare("SELECT label, mode, is_active, updated_at FROM wallets WHERE id = ?").bind(id).first();

  it("a stale If-Match is refused 409 and writes nothing; the version in force applies; without it PATCH applies", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress(), label: "v1" })).body;
    const other = await api("PATCH", `/api/v1/wallets/${w.id}`, { label: "v2" }); // another change lands
    expect(other.status).toBe(200);
    expect(other.body.updated_at > w.updated_at).toBe(true); // every change moves the version on
    const before = await row(w.id);
    for (const method of ["PATCH", "PUT"]) {
      const stale = await api(method, `/api/v1/wallets/${w.id}`, { label: "stale" }, { "if-match": w.updated_at });
      expect(stale.status, method).toBe(409);
      expectErrorShape(stale.body, "Conflict");
      expect(stale.body.detail).toMatch(/^if-match: the wallet changed since/);
    }
    expect(await row(w.id)).toEqual(before);
    const ok = await api("PATCH", `/api/v1/wallets/${w.id}`, { label: "v3" }, { "if-match": other.body.updated_at });
    expect(ok.status).toBe(200);
    expect(ok.body.label).toBe("v3");
    expect((await api("PATCH", `/api/v1/wallets/${w.id}`, { label: "v4" })).body.label).toBe("v4");
  });

  it("the new version is always after the one read, even with the clock behind it (two edits in one ms differ)", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
    const future = new Date(Date.now() + 60_000).toISOString(); // the clock is behind the stored version
    await env.DB.prepare("UPDATE wallets SET updated_at = ? WHERE id = ?").bind(future, w.id).run();
    const a = await api("PATCH", `/api/v1/wallets/${w.id}`, { label: "a" }, { "if-match": future });
    expect(a.status).toBe(200);
    expect(a.body.updated_at > future).toBe(true);
    const stale = await api("PATCH", `/api/v1/wallets/${w.id}`, { label: "b" }, { "if-match": future });
    expect(stale.status).toBe(409);
  });

  it("a change landing between the version check and the write is not overwritten (the write itself is conditional)", async () => {
    const w = (await api("POST", "/api/v1/wallets", { address: randomAddress(), label: "mine" })).body;
    const concurrent = () =>
      env.DB.prepare("UPDATE wallets SET label = 'theirs', updated_at = ? WHERE id = ?")
        .bind(new Date(Date.now() + 1000).toISOString(), w.id)
        .run();
    const DB = racingD1(env.DB, /^update "wallets"/i, concurrent);
    const res = await call(
      { DB },
      "PATCH",
      `/api/v1/wallets/${w.id}`,
      { is_active: false },
      { "if-match": w.updated_at },
    );
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/^if-match:/);
    expect(await row(w.id)).toMatchObject({ label: "theirs", is_active: 1 });
  });

  it("a forced switch to live with If-Match: recorded once when it applies; neither switch nor record when it loses the race", async () => {
    await env.DB.prepare("UPDATE config SET live_trading_enabled = 1, live_min_trades = 10 WHERE id = 1").run();
    try {
      const key = { WALLET_PRIVATE_KEY: TRADING_KEY };
      const overrides = async (id: number) =>
        (
          await env.DB.prepare("SELECT COUNT(*) AS n FROM live_gate_overrides WHERE wallet_id = ?")
            .bind(id)
            .first<{ n: number }>()
        )?.n;
      const w = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
      const ok = await call(
        key,
        "PATCH",
        `/api/v1/wallets/${w.id}?force=true`,
        { mode: "live" },
        { "if-match": w.updated_at },
      );
      expect(ok.status).toBe(200);
      expect(ok.body.mode).toBe("live");
      expect(await overrides(w.id)).toBe(1);
      const audit = await env.DB.prepare("SELECT * FROM live_gate_overrides WHERE wallet_id = ?").bind(w.id).first();
      expect(audit).toMatchObject({ wallet_address: w.address, simulation_trades: 0, required_trades: 10 });
      expect(String(audit?.detail)).toMatch(/evaluation: none/);

      const v = (await api("POST", "/api/v1/wallets", { address: randomAddress() })).body;
      const concurrent = () =>
        env.DB.prepare("UPDATE wallets SET label = 'theirs', updated_at = ? WHERE id = ?")
          .bind(new Date(Date.now() + 1000).toISOString(), v.id)
          .run();
      const DB = racingD1(env.DB, /^(update "wallets"|insert into "live_gate_overrides")/i, concurrent);
      const lost = await call(
        { ...key, DB },
        "PATCH",
        `/api/v1/wallets/${v.id}?force=true`,
        { mode: "live" },
        {
          "if-match": v.updated_at,
        },
      );
      expect(lost.status).toBe(409);
      expect(await row(v.id)).toMatchObject({ mode: "simulation", label: "theirs" });
      expect(await overrides(v.id)).toBe(0);
    } finally {
      await env.DB.prepare("UPDATE config SET live_trading_enabled = 0, live_min_trades = 10 WHERE id = 1").run();
    }
  });
});
