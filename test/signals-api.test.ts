import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectErrorShape } from "./helpers/api";
import { addr, sig } from "./helpers/helius";
import { insertWallet } from "./helpers/wallet-actor";

const A = addr();
const B = addr();
let idA = 0;
const ids: Record<string, number> = {};

async function insertSignal(name: string, f: Record<string, string | number | null>) {
  const cols = {
    transaction_signature: sig(),
    wallet_address: A,
    signal_type: "buy",
    webhook_received_at: new Date().toISOString(),
    raw_payload: JSON.stringify({ name }),
    ...f,
  };
  const names = Object.keys(cols);
  const row = await env.DB.prepare(
    `INSERT INTO signals (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) RETURNING id`,
  )
    .bind(...Object.values(cols))
    .first<{ id: number }>();
  ids[name] = row?.id as number;
}

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

beforeAll(async () => {
  idA = await insertWallet(A);
  const idB = await insertWallet(B);
  await insertSignal("a-buy-now", { wallet_id: idA, created_at: daysAgo(0) });
  await insertSignal("a-sell-3d", { wallet_id: idA, signal_type: "sell", created_at: daysAgo(3) });
  await insertSignal("a-buy-10d-filtered", {
    wallet_id: idA,
    filtered: 1,
    filter_reason: "safety_check_failed",
    created_at: daysAgo(10),
  });
  await insertSignal("b-other-40d", {
    wallet_id: idB,
    wallet_address: B,
    signal_type: "other",
    filtered: 1,
    filter_reason: "not_a_trade",
    created_at: daysAgo(40),
  });
});

const names = (body: { items: { id: number }[] }) =>
  body.items.map((i) => Object.entries(ids).find(([, id]) => id === i.id)?.[0]);

describe("GET /api/v1/signals", () => {
  it("needs the operator token", async () => {
    const res = await api("GET", "/api/v1/signals", undefined, { authorization: "" });
    expect(res.status).toBe(401);
  });

  it("lists newest first without the raw payload, with the total", async () => {
    const res = await api("GET", "/api/v1/signals");
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(["b-other-40d", "a-buy-10d-filtered", "a-sell-3d", "a-buy-now"].reverse());
    expect(res.body).toMatchObject({ total: 4, page: 1, page_size: 50 });
    expect(res.body.items[0]).not.toHaveProperty("raw_payload");
    expect(res.body.items[0]).toMatchObject({ filtered: false, signal_type: "buy", wallet_address: A });
  });

  it.each([
    [`wallet=${A}`, ["a-buy-now", "a-sell-3d", "a-buy-10d-filtered"]],
    ["wallet=ID_A", ["a-buy-now", "a-sell-3d", "a-buy-10d-filtered"]],
    ["type=sell", ["a-sell-3d"]],
    ["filtered=true", ["a-buy-10d-filtered", "b-other-40d"]],
    ["filtered=false", ["a-buy-now", "a-sell-3d"]],
    ["filter_reason=not_a_trade", ["b-other-40d"]],
    ["window=24h", ["a-buy-now"]],
    ["window=7d", ["a-buy-now", "a-sell-3d"]],
    ["window=30d", ["a-buy-now", "a-sell-3d", "a-buy-10d-filtered"]],
    ["window=all&type=buy&filtered=1", ["a-buy-10d-filtered"]],
  ])("filters %s", async (query, want) => {
    const res = await api("GET", `/api/v1/signals?${query.replace("ID_A", String(idA))}`);
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(want);
    expect(res.body.total).toBe(want.length);
  });

  it("paginates", async () => {
    const p1 = await api("GET", "/api/v1/signals?page_size=3&page=1");
    const p2 = await api("GET", "/api/v1/signals?page_size=3&page=2");
    expect(p1.body.items).toHaveLength(3);
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body).toMatchObject({ total: 4, page: 2, page_size: 3 });
  });

  it.each(["type=swap", "window=1y", "filtered=maybe", "page=0", "page_size=201", "filter_reason=whatever"])(
    "rejects %s with a 400 naming the field",
    async (query) => {
      const res = await api("GET", `/api/v1/signals?${query}`);
      expect(res.status).toBe(400);
      expectErrorShape(res.body, "ValidationError");
      expect(res.body.detail).toContain(query.split("=")[0]);
    },
  );
});

describe("GET /api/v1/signals/{id}", () => {
  it("returns the signal with its raw payload; 404 for an unknown id; 400 for a bad one", async () => {
    const res = await api("GET", `/api/v1/signals/${ids["a-sell-3d"]}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ signal_type: "sell", raw_payload: { name: "a-sell-3d" } });
    const missing = await api("GET", "/api/v1/signals/999999");
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, "NotFound");
    const bad = await api("GET", "/api/v1/signals/abc");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
  });
});

describe("OpenAPI", () => {
  it("documents the signals routes and the Helius webhook (outside /api)", async () => {
    const res = await api("GET", "/openapi.json");
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/signals", "/api/v1/signals/{id}", "/webhooks/helius"]),
    );
  });
});
