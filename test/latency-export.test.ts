import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectErrorShape } from "./helpers/api";

const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;

async function copiedSignal(o: {
  wallet: string;
  blockMs: number;
  webhookMs: number;
  decidedMs: number | null;
  orderMs: number | null;
  fillMs: number | null;
  type?: "buy" | "sell";
  filtered?: boolean;
  raw?: unknown;
}) {
  seq++;
  const orderId = o.orderMs != null ? `ord_lat_${seq}` : null;
  if (orderId)
    await env.DB.prepare(
      `INSERT INTO orders (id, idempotency_key, token_mint, side, priority, mode, status, reason, requested_at, executed_at)
       VALUES (?, ?, 'MintLat', 'buy', 'normal', 'simulation', ?, 'entry', ?, ?)`,
    )
      .bind(
        orderId,
        `lat:${seq}`,
        o.fillMs != null ? "filled" : "pending",
        iso(o.orderMs as number),
        o.fillMs != null ? iso(o.fillMs) : null,
      )
      .run();
  await env.DB.prepare(
    `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, block_time, filtered,
       webhook_received_at, processed_at, order_id, raw_payload)
     VALUES (?, ?, ?, 'MintLat', ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      `sig_lat_${seq}`,
      o.wallet,
      o.type ?? "buy",
      iso(o.blockMs),
      o.filtered ? 1 : 0,
      iso(o.webhookMs),
      o.decidedMs != null ? iso(o.decidedMs) : null,
      orderId,
      JSON.stringify(o.raw ?? { signature: `sig_lat_${seq}` }),
    )
    .run();
}

describe("GET /api/v1/performance/latency", () => {
  it("gives p50/p95/p99 of each leg matching the recorded timestamps (nearest rank)", async () => {
    const t0 = Date.now() - 3_600_000;
    // 20 copies: leg k of copy i (1..20) lasts i × (k + 1) × 100 ms.
    for (let i = 1; i <= 20; i++) {
      const block = t0 + i * 60_000;
      const webhook = block + i * 100;
      const decided = webhook + i * 200;
      const order = decided + i * 300;
      await copiedSignal({
        wallet: "LatWallet",
        blockMs: block,
        webhookMs: webhook,
        decidedMs: decided,
        orderMs: order,
        fillMs: order + i * 400,
      });
    }
    // Left out: a filtered BUY, a SELL, and a copy whose order has not filled (it counts until the order only).
    await copiedSignal({
      wallet: "LatWallet",
      blockMs: t0,
      webhookMs: t0 + 99_000,
      decidedMs: t0 + 99_500,
      orderMs: null,
      fillMs: null,
      filtered: true,
    });
    await copiedSignal({
      wallet: "LatWallet",
      blockMs: t0,
      webhookMs: t0 + 99_000,
      decidedMs: t0 + 99_500,
      orderMs: t0 + 99_600,
      fillMs: t0 + 99_700,
      type: "sell",
    });
    await copiedSignal({
      wallet: "LatWallet",
      blockMs: t0,
      webhookMs: t0 + 50,
      decidedMs: t0 + 60,
      orderMs: t0 + 70,
      fillMs: null,
    });
    const res = await api("GET", "/api/v1/performance/latency?window=24h");
    expect(res.status).toBe(200);
    expect(res.body.copied_signals).toBe(21);
    const d = res.body.legs;
    // 21 values, 50 then 100..2000 step 100: p50 = 11th = 1000, p95 = 20th = 1900, p99 = 21st = 2000.
    expect(d.block_to_webhook).toEqual({
      count: 21,
      min_ms: 50,
      p50_ms: 1000,
      p95_ms: 1900,
      p99_ms: 2000,
      max_ms: 2000,
    });
    expect(d.webhook_to_decision).toMatchObject({ count: 21, min_ms: 10, p50_ms: 2000, p99_ms: 4000 });
    expect(d.order_to_fill).toEqual({ count: 20, min_ms: 400, p50_ms: 4000, p95_ms: 7600, p99_ms: 8000, max_ms: 8000 });
    // block → fill = 1000 × i
    expect(d.block_to_fill).toEqual({
      count: 20,
      min_ms: 1000,
      p50_ms: 10_000,
      p95_ms: 19_000,
      p99_ms: 20_000,
      max_ms: 20_000,
    });
    expect(d.webhook_to_fill).toMatchObject({ count: 20, p50_ms: 9000 });
    const none = await api("GET", "/api/v1/performance/latency?window=all");
    expect(none.body.copied_signals).toBe(21);
    const bad = await api("GET", "/api/v1/performance/latency?window=1y");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
  });
});

describe("GET /api/v1/signals/export", () => {
  it("returns the raw payloads as JSON lines, oldest first, filtered by wallet", async () => {
    const now = Date.now();
    const a = { signature: "exp-a", feePayer: "ExpWalletA", tokenTransfers: [{ mint: "M", tokenAmount: 1.5 }] };
    const b = { signature: "exp-b", feePayer: "ExpWalletA", nested: { deep: [1, 2, { x: null }] } };
    await copiedSignal({
      wallet: "ExpWalletA",
      blockMs: now,
      webhookMs: now,
      decidedMs: null,
      orderMs: null,
      fillMs: null,
      raw: a,
    });
    await copiedSignal({
      wallet: "ExpWalletB",
      blockMs: now,
      webhookMs: now,
      decidedMs: null,
      orderMs: null,
      fillMs: null,
      raw: { signature: "other" },
    });
    await copiedSignal({
      wallet: "ExpWalletA",
      blockMs: now,
      webhookMs: now,
      decidedMs: null,
      orderMs: null,
      fillMs: null,
      raw: b,
    });
    const res = await api("GET", "/api/v1/signals/export?wallet=ExpWalletA");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = String(res.body)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([a, b]);
    const limited = await api("GET", "/api/v1/signals/export?wallet=ExpWalletA&limit=1");
    expect(String(limited.body).trim().split("\n")).toHaveLength(1);
    const bad = await api("GET", "/api/v1/signals/export?since=yesterday");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    // The signal-by-id route still answers for ids.
    const one = await api("GET", "/api/v1/signals/1");
    expect(one.status).toBe(200);
  });
});
