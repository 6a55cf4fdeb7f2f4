import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeConfigChange } from "../src/db/config-write";
import { api, expectErrorShape } from "./helpers/api";

const historyCount = async () =>
  ((await env.DB.prepare("SELECT COUNT(*) AS n FROM config_history").first<{ n: number }>())?.n ?? 0) as number;
const rawConfig = () => env.DB.prepare("SELECT * FROM config WHERE id = 1").first<Record<string, unknown>>();

const editable = (cfg: Record<string, unknown>) => {
  const {
    helius_webhook_id: _a,
    helius_last_sync_at: _b,
    helius_last_sync_status: _c,
    helius_last_sync_error: _d,
    updated_at: _e,
    ...rest
  } = cfg;
  return rest;
};

describe("GET/PUT/PATCH /api/v1/config", () => {
  it("PATCH changes one field, appends exactly one history row with full previous and new values", async () => {
    const before = (await api("GET", "/api/v1/config")).body;
    const n0 = await historyCount();
    const res = await api("PATCH", "/api/v1/config", { safety_threshold: 0.75 });
    expect(res.status).toBe(200);
    expect(res.body.safety_threshold).toBe(0.75);
    expect(res.body.slippage_bps).toBe(before.slippage_bps);
    expect(await historyCount()).toBe(n0 + 1);
    const hist = await api("GET", "/api/v1/config/history?page=1&page_size=1");
    expect(hist.status).toBe(200);
    expect(hist.body.total).toBe(n0 + 1);
    const row = hist.body.items[0];
    expect(row.changed_fields).toEqual(["safety_threshold"]);
    expect(row.previous_values).toEqual(editable(before));
    expect(row.new_values).toEqual({ ...editable(before), safety_threshold: 0.75 });
    expect((await api("GET", "/api/v1/config")).body.safety_threshold).toBe(0.75);
  });

  it("PUT replaces every editable field; a missing field is refused", async () => {
    const cur = editable((await api("GET", "/api/v1/config")).body);
    const n0 = await historyCount();
    const next = { ...cur, slippage_bps: 450, allow_rebuys: true, helius_transaction_types: ["SWAP", "TRANSFER"] };
    const res = await api("PUT", "/api/v1/config", next);
    expect(res.status).toBe(200);
    expect(editable(res.body)).toEqual(next);
    expect(await historyCount()).toBe(n0 + 1);
    const hist = await api("GET", "/api/v1/config/history");
    expect(hist.body.items[0].changed_fields).toEqual(["allow_rebuys", "slippage_bps", "helius_transaction_types"]);
    // stored as the DB types (boolean as 0/1, array as JSON)
    const raw = await rawConfig();
    expect(raw?.allow_rebuys).toBe(1);
    expect(raw?.helius_transaction_types).toBe('["SWAP","TRANSFER"]');

    const { slippage_bps: _omit, ...partial } = next;
    const missing = await api("PUT", "/api/v1/config", partial);
    expect(missing.status).toBe(400);
    expectErrorShape(missing.body, "ValidationError");
    expect(missing.body.detail).toContain("slippage_bps");
    expect(await historyCount()).toBe(n0 + 1);
  });

  it("a no-op change adds no history row", async () => {
    const cur = (await api("GET", "/api/v1/config")).body;
    const n0 = await historyCount();
    expect((await api("PATCH", "/api/v1/config", { slippage_bps: cur.slippage_bps })).status).toBe(200);
    expect((await api("PUT", "/api/v1/config", editable(cur))).status).toBe(200);
    expect((await api("PATCH", "/api/v1/config", {})).status).toBe(200);
    expect(await historyCount()).toBe(n0);
  });

  const bad: [string, Record<string, unknown>][] = [
    ["safety_threshold", { safety_threshold: 1.5 }],
    ["safety_threshold", { safety_threshold: "0.5" }],
    ["slippage_bps", { slippage_bps: 0 }],
    ["slippage_bps", { slippage_bps: 12.5 }],
    ["max_drawdown_percent", { max_drawdown_percent: 101 }],
    ["position_sizing_mode", { position_sizing_mode: "yolo" }],
    ["helius_transaction_types", { helius_transaction_types: [] }],
    ["helius_webhook_id", { helius_webhook_id: "forged" }],
    ["helius_last_sync_status", { helius_last_sync_status: "ok" }],
    ["unknown_knob", { unknown_knob: 1 }],
    ["jupiter_swaps_per_second", { jupiter_swaps_per_second: 0 }],
    ["jupiter_swaps_per_second", { jupiter_swaps_per_second: 151 }],
    ["jupiter_swap_burst", { jupiter_swap_burst: 0 }],
    ["jupiter_swap_burst", { jupiter_swap_burst: 1.5 }],
    // one good and one bad field: nothing applied
    ["max_swap_retries", { slippage_bps: 111, max_swap_retries: 99 }],
    // cross-field rules
    ["min_position_usd", { min_position_usd: 500, max_position_usd: 100 }],
    ["poll_urgent_seconds", { poll_urgent_seconds: 90 }],
  ];
  for (const [field, body] of bad) {
    it(`refuses ${JSON.stringify(body)} with 400 naming ${field}, storing nothing`, async () => {
      const before = await rawConfig();
      const n0 = await historyCount();
      const res = await api("PATCH", "/api/v1/config", body);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, "ValidationError");
      expect(res.body.detail).toContain(field);
      expect(await rawConfig()).toEqual(before);
      expect(await historyCount()).toBe(n0);
    });
  }

  it("refuses a body that is not JSON / not an object", async () => {
    const n0 = await historyCount();
    for (const body of ["not json", "[1,2]", "null"]) {
      const res = await api("PATCH", "/api/v1/config", body, { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expectErrorShape(res.body);
    }
    expect(await historyCount()).toBe(n0);
  });

  it("concurrent PATCHes of different fields both land, each with its own history row", async () => {
    const n0 = await historyCount();
    const [a, b] = await Promise.all([
      api("PATCH", "/api/v1/config", { max_open_positions: 7 }),
      api("PATCH", "/api/v1/config", { max_swap_retries: 5 }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const cur = (await api("GET", "/api/v1/config")).body;
    expect(cur.max_open_positions).toBe(7);
    expect(cur.max_swap_retries).toBe(5);
    expect(await historyCount()).toBe(n0 + 2);
    const items = (await api("GET", "/api/v1/config/history?page_size=2")).body.items;
    // each history row's previous values are exactly the state the change was applied to
    expect(items[0].previous_values).toEqual({ ...items[1].new_values });
  });

  it("never returns secrets", async () => {
    const res = await api("GET", "/api/v1/config");
    const text = JSON.stringify(res.body);
    for (const secret of ["test-helius-api-key", "test-helius-auth-header", "test-operator-token"])
      expect(text).not.toContain(secret);
    expect(res.body).not.toHaveProperty("HELIUS_API_KEY");
  });

  it("history pages are newest first and paginated", async () => {
    const all = (await api("GET", "/api/v1/config/history?page_size=200")).body;
    expect(all.items.length).toBe(all.total);
    const ids = all.items.map((i: { id: number }) => i.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const p2 = (await api("GET", "/api/v1/config/history?page=2&page_size=1")).body;
    expect(p2.items[0].id).toBe(ids[1]);
    expect((await api("GET", "/api/v1/config/history?page_size=0")).status).toBe(400);
  });
});

describe("writeConfigChange (optimistic concurrency)", () => {
  it("applies nothing and writes no history when the row version moved", async () => {
    const cur = (await api("GET", "/api/v1/config")).body;
    const before = await rawConfig();
    const n0 = await historyCount();
    const ed = editable(cur) as never as Parameters<typeof writeConfigChange>[1]["next"];
    const applied = await writeConfigChange(env.DB, {
      expectedVersion: "2000-01-01T00:00:00.000Z",
      newVersion: new Date().toISOString(),
      previous: ed,
      next: { ...ed, slippage_bps: 999 },
      changed: ["slippage_bps"],
      changedBy: "test",
    });
    expect(applied).toBe(false);
    expect(await rawConfig()).toEqual(before);
    expect(await historyCount()).toBe(n0);
  });
});
