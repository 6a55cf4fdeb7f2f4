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
    // chronological: +10, -5, -5, +30, 0 (break-even), +20 (10 days ago … 1 hour ago)
    closed: [
      { closed_at: daysAgo(40), total_pnl_usd: 10 },
      { closed_at: daysAgo(20), total_pnl_usd: -5 },
      { closed_at: daysAgo(10), total_pnl_usd: -5 },
      { closed_at: daysAgo(5), total_pnl_usd: 30 },
      { closed_at: daysAgo(2), total_pnl_usd: 0 },
      { closed_at: daysAgo(1 / 24), total_pnl_usd: 20 },
    ],
    position_opened_at: [daysAgo(41), daysAgo(21), daysAgo(11), daysAgo(6), daysAgo(3), daysAgo(0.5), daysAgo(0.1)],
    open_position_count: 1,
    signals: [
      { created_at: daysAgo(41), filtered: false },
      { created_at: daysAgo(3), filtered: true },
      { created_at: daysAgo(0.1), filtered: false },
    ],
  };

  it("computes all-time figures", () => {
    expect(computeStats(input, "all", NOW)).toEqual({
      signal_count: 3,
      filtered_signal_count: 1,
      position_count: 7,
      open_position_count: 1,
      closed_position_count: 6,
      wins: 3,
      losses: 2,
      win_rate_percent: 60,
      total_pnl_usd: 50,
      avg_pnl_usd: 50 / 6,
      avg_win_usd: 20,
      avg_loss_usd: -5,
      profit_ratio: 6,
      best_trade_usd: 30,
      worst_trade_usd: -5,
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
      signal_count: 2,
    });
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
      current_streak: 0,
    });
  });
});

describe("performance aggregation", () => {
  it("the 00:00 cron upserts four period rows per wallet, and the API reads them", async () => {
    const w = await env.DB.prepare(
      "INSERT INTO wallets (address, label) VALUES ('PerfWallet11111111111111111111111111111111', 'perf') RETURNING id",
    ).first<{ id: number }>();
    const insert = env.DB.prepare(
      "INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd, entry_amount, entry_cost_usd, current_amount, total_pnl_usd, opened_at, closed_at) VALUES (?, ?, 'PerfWallet11111111111111111111111111111111', 'Mint', 6, 'simulation', ?, 1, '1000', 10, ?, ?, ?, ?)",
    );
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    await env.DB.batch([
      insert.bind("p1", w?.id, "closed", "0", 12.5, recent, recent),
      insert.bind("p2", w?.id, "closed", "0", -2.5, recent, recent),
      insert.bind("p3", w?.id, "open", "1000", 0, recent, null),
    ]);
    for (let run = 0; run < 2; run++) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "0 0 * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    const rows = await env.DB.prepare(
      "SELECT period, wins, losses, total_pnl_usd FROM performance WHERE wallet_id = ? ORDER BY period",
    )
      .bind(w?.id)
      .all();
    expect(rows.results).toHaveLength(4); // idempotent: a second run updates, never duplicates
    const res = await api("GET", `/api/v1/performance?wallet_id=${w?.id}&period=24h`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        period: "24h",
        wins: 1,
        losses: 1,
        win_rate_percent: 50,
        total_pnl_usd: 10,
        profit_ratio: 5,
        open_position_count: 1,
      }),
    ]);
    const again = await api("POST", "/api/v1/performance/recompute");
    expect(again.status).toBe(200);
    expect(again.body.rows).toBeGreaterThanOrEqual(4);
  });

  it("refuses a bad period with a message naming the field", async () => {
    const res = await api("GET", "/api/v1/performance?period=1y");
    expect(res.status).toBe(400);
    expectErrorShape(res.body, "ValidationError");
    expect(res.body.detail).toContain("period");
  });
});
