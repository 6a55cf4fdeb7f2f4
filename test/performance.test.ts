import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { computeStats } from "../src/domain/performance";
import worker from "../src/index";
import { api, expectErrorShape } from "./helpers/api";

const NOW = Date.UTC(2026, 10, 21, 0, 0, 0);
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString();

describe("performance math", () => {
  const input = {
    // chronological: +10, -5, -5, +30, 0 (break-even), +20 (40 days ago … 1 hour ago);
    // entry costs 100, 50, 25, 100, 25, 40 → +10 %, -10 %, -20 %, +30 %, 0 %, +50 %;
    // held 1 day, 1 day, 12 h, 1 day, 1 day, 1 h.
    closed: [
      { opened_at: daysAgo(41), closed_at: daysAgo(40), total_pnl_usd: 10, entry_cost_usd: 100, pnl_percent: 10 },
      { opened_at: daysAgo(21), closed_at: daysAgo(20), total_pnl_usd: -5, entry_cost_usd: 50, pnl_percent: -10 },
      { opened_at: daysAgo(10.5), closed_at: daysAgo(10), total_pnl_usd: -5, entry_cost_usd: 25, pnl_percent: -20 },
      { opened_at: daysAgo(6), closed_at: daysAgo(5), total_pnl_usd: 30, entry_cost_usd: 100, pnl_percent: 30 },
      { opened_at: daysAgo(3), closed_at: daysAgo(2), total_pnl_usd: 0, entry_cost_usd: 25, pnl_percent: 0 },
      {
        opened_at: daysAgo(2 / 24),
        closed_at: daysAgo(1 / 24),
        total_pnl_usd: 20,
        entry_cost_usd: 40,
        pnl_percent: 50,
      },
    ],
    position_opened_at: [daysAgo(41), daysAgo(21), daysAgo(11), daysAgo(6), daysAgo(3), daysAgo(0.5), daysAgo(0.1)],
    open_position_count: 1,
    signals: [
      { created_at: daysAgo(41), filtered: false },
      { created_at: daysAgo(3), filtered: true },
      { created_at: daysAgo(0.1), filtered: false },
    ],
  };

  it("computes all-time figures: the seed's profit ratio (avg win ÷ avg loss) beside the profit factor", () => {
    const all = computeStats(input, "all", NOW);
    expect(all.total_pnl_percent).toBeCloseTo((50 / 340) * 100, 10);
    expect(all.avg_hold_minutes).toBeCloseTo((1440 * 4 + 720 + 60) / 6, 6);
    expect({ ...all, total_pnl_percent: 0, avg_hold_minutes: 0 }).toEqual({
      signal_count: 3,
      filtered_signal_count: 1,
      position_count: 7,
      open_position_count: 1,
      closed_position_count: 6,
      wins: 3,
      losses: 2,
      win_rate_percent: 60,
      total_pnl_usd: 50,
      total_pnl_percent: 0,
      avg_pnl_usd: 50 / 6,
      avg_win_usd: 20,
      avg_loss_usd: -5,
      profit_ratio: 4, // (60 / 3) ÷ (10 / 2)
      profit_factor: 6, // 60 ÷ 10
      best_trade_usd: 30,
      worst_trade_usd: -5,
      best_trade_percent: 50,
      worst_trade_percent: -20,
      avg_hold_minutes: 0,
      longest_win_streak: 1,
      longest_loss_streak: 2,
      current_streak: 1,
    });
  });

  it("restricts each window to its trades and signals", () => {
    const d7 = computeStats(input, "7d", NOW);
    expect(d7).toMatchObject({
      closed_position_count: 3,
      wins: 2,
      losses: 0,
      win_rate_percent: 100,
      total_pnl_usd: 50,
      profit_ratio: null,
      profit_factor: null,
      signal_count: 2,
    });
    expect(d7.total_pnl_percent).toBeCloseTo((50 / 165) * 100, 10);
    const h24 = computeStats(input, "24h", NOW);
    expect(h24).toMatchObject({
      closed_position_count: 1,
      total_pnl_usd: 20,
      position_count: 2,
      signal_count: 1,
      filtered_signal_count: 0,
    });
    expect(computeStats({ ...input, closed: [] }, "all", NOW)).toMatchObject({
      win_rate_percent: null,
      avg_pnl_usd: null,
      best_trade_usd: null,
      best_trade_percent: null,
      total_pnl_percent: null,
      avg_hold_minutes: null,
      current_streak: 0,
    });
  });
});

describe("performance aggregation", () => {
  it("the 00:00 cron upserts a row per period and mode, keeping live PnL apart from simulation; the API reads them", async () => {
    const w = await env.DB.prepare(
      "INSERT INTO wallets (address, label) VALUES ('PerfWallet11111111111111111111111111111111', 'perf') RETURNING id",
    ).first<{ id: number }>();
    const insert = env.DB.prepare(
      "INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd, entry_amount, entry_cost_usd, current_amount, total_pnl_usd, pnl_percent, opened_at, closed_at) VALUES (?, ?, 'PerfWallet11111111111111111111111111111111', 'Mint', 6, ?, ?, 1, '1000', 10, ?, ?, ?, ?, ?)",
    );
    // One clock reading for both ends: two Date.now() calls can straddle a millisecond on a loaded machine,
    // making the hold 30.0000167 min instead of exactly 30.
    const now = Date.now();
    const opened = new Date(now - 3_600_000).toISOString();
    const closed = new Date(now - 1_800_000).toISOString(); // held 30 min
    await env.DB.batch([
      insert.bind("p1", w?.id, "simulation", "closed", "0", 12.5, 125, opened, closed),
      insert.bind("p2", w?.id, "simulation", "closed", "0", -2.5, -25, opened, closed),
      insert.bind("p3", w?.id, "simulation", "open", "1000", 0, 0, opened, null),
      insert.bind("p4", w?.id, "live", "closed", "0", -4, -40, opened, closed),
    ]);
    for (let run = 0; run < 2; run++) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "0 0 * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    const rows = await env.DB.prepare(
      "SELECT period, mode, wins, losses, total_pnl_usd FROM performance WHERE wallet_id = ? ORDER BY period",
    )
      .bind(w?.id)
      .all();
    expect(rows.results).toHaveLength(8); // 4 periods × 2 modes; idempotent: a second run updates, never duplicates
    const res = await api("GET", `/api/v1/performance?wallet_id=${w?.id}&period=24h&mode=simulation`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const sim = res.body.items[0];
    expect(sim).toMatchObject({
      period: "24h",
      mode: "simulation",
      wins: 1,
      losses: 1,
      win_rate_percent: 50,
      total_pnl_usd: 10,
      total_pnl_percent: 50, // 10 of 20 entry cost
      profit_ratio: 5, // 12.5 ÷ 2.5 (one win, one loss: average = sum)
      profit_factor: 5,
      best_trade_usd: 12.5,
      worst_trade_usd: -2.5,
      best_trade_percent: 125,
      worst_trade_percent: -25,
      open_position_count: 1,
    });
    expect(sim.avg_hold_minutes).toBeCloseTo(30, 6);
    const live = await api("GET", `/api/v1/performance?wallet_id=${w?.id}&period=24h&mode=live`);
    expect(live.body.items).toEqual([
      expect.objectContaining({
        mode: "live",
        wins: 0,
        losses: 1,
        total_pnl_usd: -4,
        total_pnl_percent: -40,
        worst_trade_percent: -40,
        open_position_count: 0,
      }),
    ]);
    const again = await api("POST", "/api/v1/performance/recompute");
    expect(again.status).toBe(200);
    expect(again.body.rows).toBeGreaterThanOrEqual(8);
  });

  it("refuses a bad period with a message naming the field", async () => {
    const res = await api("GET", "/api/v1/performance?period=1y");
    expect(res.status).toBe(400);
    expectErrorShape(res.body, "ValidationError");
    expect(res.body.detail).toContain("period");
  });
});
