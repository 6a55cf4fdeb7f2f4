import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { recomputePerformance } from "../src/db/performance-store";
import { computeStats } from "../src/domain/performance";
import { seedBook } from "./helpers/seed-book";

describe("performance recompute in set queries", () => {
  it("recomputes 400 wallets in a handful of statements (not three per wallet), with the same numbers as the per-wallet math", async () => {
    const now = Date.UTC(2026, 10, 21);
    const ids = await seedBook(env.DB, { wallets: 400, positionsPerWallet: 3, signalsPerWallet: 4, tag: "PSET", now });
    const r = await recomputePerformance(getDb(env.DB), now, ids);
    expect(r.wallets).toBe(400);
    expect(r.rows).toBe(3200); // 400 wallets × 4 periods × 2 modes
    expect(r.statements).toBeLessThan(20); // the old code needed 3 per wallet: 1,200
    const wid = ids[7] as number;
    const row = await env.DB.prepare(
      "SELECT * FROM performance WHERE wallet_id = ? AND period = 'all' AND mode = 'simulation'",
    )
      .bind(wid)
      .first<Record<string, unknown>>();
    const pos = (
      await env.DB.prepare(
        "SELECT closed_at, total_pnl_usd, opened_at, pnl_percent, entry_cost_usd FROM positions WHERE wallet_id = ? AND mode = 'simulation'",
      )
        .bind(wid)
        .all<{
          closed_at: string;
          total_pnl_usd: number;
          opened_at: string;
          pnl_percent: number;
          entry_cost_usd: number;
        }>()
    ).results;
    const sig = (
      await env.DB.prepare("SELECT created_at, filtered FROM signals WHERE wallet_id = ?")
        .bind(wid)
        .all<{ created_at: string; filtered: number }>()
    ).results;
    const expected = computeStats(
      {
        closed: pos.map((p) => ({
          opened_at: p.opened_at,
          closed_at: p.closed_at,
          total_pnl_usd: p.total_pnl_usd,
          pnl_percent: p.pnl_percent,
          entry_cost_usd: p.entry_cost_usd,
        })),
        position_opened_at: pos.map((p) => p.opened_at),
        open_position_count: 0,
        signals: sig.map((s) => ({ created_at: s.created_at, filtered: s.filtered === 1 })),
      },
      "all",
      now,
    );
    expect(row).toMatchObject({ ...expected, computed_at: new Date(now).toISOString() });
    // idempotent: a second run updates in place
    await recomputePerformance(getDb(env.DB), now + 1000, ids);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM performance WHERE wallet_id = ?")
      .bind(wid)
      .first<{ n: number }>();
    expect(n?.n).toBe(8); // four periods, simulation and live apart
  });
});
