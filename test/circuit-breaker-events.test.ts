import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { checkBreakerRules } from "../src/db/circuit-breaker";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { api } from "./helpers/api";
import { dashboardPage } from "./helpers/dashboard";
import { resetBreaker } from "./helpers/execution";

beforeEach(() => resetBreaker());

const position = (id: string, status: "open" | "closed", pnl = 0, closedAt: string | null = null) =>
  env.DB.prepare(
    `INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd,
       entry_amount, entry_cost_usd, current_amount, unrealized_pnl_usd, total_pnl_usd, opened_at, closed_at)
     VALUES (?, 'BreakerLeader1111111111111111111111111111111', ?, 6, 'simulation', ?, 1, '1000', 40, '1000', ?, ?,
       '2026-01-01T00:00:00.000Z', ?)`,
  )
    .bind(id, `Mint_${id}`, status, status === "open" ? pnl : 0, pnl, closedAt)
    .run();

let sig = 0;
const signal = (filterReason: string | null, processedAt: string) =>
  env.DB.prepare(
    `INSERT INTO signals (transaction_signature, wallet_address, signal_type, token_mint, filtered, filter_reason,
       webhook_received_at, processed_at, raw_payload)
     VALUES (?, 'BreakerLeader1111111111111111111111111111111', 'buy', 'M', ?, ?, ?, ?, '{}') RETURNING id`,
  )
    .bind(`breaker_sig_${++sig}`, filterReason ? 1 : 0, filterReason, processedAt, processedAt)
    .first<{ id: number }>();

const cancelledOrder = (id: string, signalId: number | null, at: string) =>
  env.DB.prepare(
    `INSERT INTO orders (id, idempotency_key, signal_id, token_mint, side, priority, mode, status, reason,
       cancel_reason, requested_at, updated_at)
     VALUES (?, ?, ?, 'M', 'buy', 'normal', 'simulation', 'cancelled', 'entry', 'circuit_breaker', ?, ?)`,
  )
    .bind(id, id, signalId, at, at)
    .run();

const lastEvent = () =>
  env.DB.prepare("SELECT * FROM circuit_breaker_events ORDER BY id DESC LIMIT 1").first<Record<string, any>>();

describe("circuit-breaker events (issue 16)", () => {
  it("a manual trip records the positions open at that moment", async () => {
    await position("cbe_open_1", "open", -3);
    await position("cbe_closed_1", "closed", 5, "2026-01-02T00:00:00.000Z");
    const on = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "drill" });
    expect(on.status).toBe(200);
    const trip = await lastEvent();
    expect(trip).toMatchObject({ event_type: "trip", open_position_count: 1, new_positions_blocked: null });
    expect(JSON.parse(trip?.open_positions)).toEqual([
      expect.objectContaining({ id: "cbe_open_1", token_mint: "Mint_cbe_open_1", entry_cost_usd: 40 }),
    ]);
    expect(on.body.recent_events[0]).toMatchObject({ open_position_count: 1, new_positions_blocked: null });
    expect(on.body.recent_events[0].open_positions).toEqual([expect.objectContaining({ id: "cbe_open_1" })]);
    await env.DB.prepare("UPDATE positions SET status = 'closed', closed_at = ? WHERE id = 'cbe_open_1'")
      .bind(new Date().toISOString())
      .run();
  });

  it("an automatic trip records the positions open at that moment too", async () => {
    const now = Date.now();
    await position("cbe_open_2", "open", 0);
    for (let i = 0; i < 3; i++) await position(`cbe_loss_${i}`, "closed", -1, new Date(now + 1000 + i).toISOString());
    const db = getDb(env.DB);
    const res = await checkBreakerRules(db, await loadConfig(db));
    expect(res.tripped).toBe(true);
    const trip = await lastEvent();
    expect(trip).toMatchObject({ event_type: "trip", trigger: "consecutive_losses", open_position_count: 1 });
    expect(JSON.parse(trip?.open_positions).map((p: { id: string }) => p.id)).toEqual(["cbe_open_2"]);
  });

  it("counts the new positions blocked while open, shows the count live and writes it on reset", async () => {
    const on = await api("POST", "/api/v1/circuit-breaker/activate", { reason: "count" });
    expect(on.status).toBe(200);
    const tripAt = (await lastEvent())?.created_at as string;
    const before = new Date(Date.parse(tripAt) - 60_000).toISOString();
    const during = new Date(Date.parse(tripAt) + 1).toISOString();
    await signal("circuit_breaker", before); // blocked by an earlier opening: not this one's
    const a = await signal("circuit_breaker", during); // filtered before enqueue
    const b = await signal("circuit_breaker", during); // cancelled by the queue at enqueue: signal and order
    await cancelledOrder("cbe_ord_b", b?.id ?? null, during);
    // accepted before the trip, its order cancelled by the queue at execution (which marks the signal too)
    const c = await signal("circuit_breaker", before);
    await cancelledOrder("cbe_ord_c", c?.id ?? null, during);
    await signal("safety_check_failed", during); // not the breaker's doing
    expect(a?.id).toBeTruthy();
    const open = await api("GET", "/api/v1/circuit-breaker");
    expect(open.body).toMatchObject({ open: true, new_positions_blocked: 3 });
    expect((await dashboardPage("/")).text).toContain("new entries blocked so far: 3");
    const off = await api("POST", "/api/v1/circuit-breaker/deactivate", { reason: "done" });
    expect(off.status).toBe(200);
    expect(await lastEvent()).toMatchObject({ event_type: "reset", new_positions_blocked: 3 });
    expect(off.body).toMatchObject({ open: false, new_positions_blocked: null });
    expect(off.body.recent_events[0]).toMatchObject({ event_type: "reset", new_positions_blocked: 3 });
  });
});
