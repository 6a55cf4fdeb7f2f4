import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { breakerState, checkBreakerRules, recordBreakerEvent } from "../src/db/circuit-breaker";
import { getDb } from "../src/db/client";
import { evaluateBreaker } from "../src/domain/circuit-breaker-rules";

const T = {
  capital_usd: 1000,
  max_drawdown_percent: 20,
  min_win_rate_percent: 40,
  win_rate_window: 5,
  consecutive_loss_limit: 3,
};

describe("circuit-breaker rules", () => {
  it("trips on drawdown from the equity peak, exactly at the limit", () => {
    // peak 1100 after +100, then −220 → 880 = 20 % below 1100
    expect(evaluateBreaker([100, -110, 50, -160], 0, T)).toMatchObject({ trip: true, trigger: "max_drawdown" });
    expect(evaluateBreaker([100, -110, 50, -159], 0, T).trip).toBe(false);
    // open positions' unrealized losses count toward the drawdown now
    expect(evaluateBreaker([], -200, T)).toMatchObject({ trip: true, trigger: "max_drawdown" });
  });

  it("trips on N consecutive losses, counting only the latest run", () => {
    const wide = { ...T, win_rate_window: 100 }; // keep the win-rate rule out of this case
    expect(evaluateBreaker([-1, -1, 5, -1, -1], 0, wide).trip).toBe(false);
    expect(evaluateBreaker([5, -1, -1, -1], 0, wide)).toMatchObject({ trip: true, trigger: "consecutive_losses" });
  });

  it("judges the win rate only over a full window", () => {
    expect(evaluateBreaker([-1, 5, -1, 5], 0, T).metrics.win_rate_percent).toBeNull();
    // last 5 = [-1, 5, -1, -1, 2]: 2 wins of 5 = 40 %, not below the minimum
    const d = evaluateBreaker([9, -1, -1, 5, -1, -1, 2], 0, T);
    expect(d.metrics.win_rate_percent).toBe(40);
    expect(d.trip).toBe(false);
    // last 5 = [-1, -1, 5, -1, -1]: 1 of 5 = 20 %, with only 2 losses in a row at the end
    expect(evaluateBreaker([9, 5, -1, -1, 5, -1, -1], 0, T)).toMatchObject({ trip: true, trigger: "win_rate" });
  });

  it("checkBreakerRules trips once with snapshots and ignores trades closed before a reset", async () => {
    const db = getDb(env.DB);
    const insert = env.DB.prepare(
      "INSERT INTO positions (id, source_wallet_address, token_mint, token_decimals, mode, status, entry_price_usd, entry_amount, entry_cost_usd, current_amount, total_pnl_usd, opened_at, closed_at) VALUES (?, 'W', 'M', 6, 'simulation', 'closed', 1, '1', 10, '0', ?, ?, ?)",
    );
    const at = (s: number) => new Date(Date.now() - 600_000 + s * 1000).toISOString();
    await env.DB.batch([
      insert.bind("cb1", -5, at(1), at(1)),
      insert.bind("cb2", -5, at(2), at(2)),
      insert.bind("cb3", -5, at(3), at(3)),
    ]);
    const first = await checkBreakerRules(db, T);
    expect(first).toMatchObject({ tripped: true, event: { trigger: "consecutive_losses", event_type: "trip" } });
    expect(JSON.parse((first as { event: { metrics_snapshot: string } }).event.metrics_snapshot)).toMatchObject({
      consecutive_losses: 3,
    });
    expect(await checkBreakerRules(db, T)).toMatchObject({ tripped: false, already_open: true });
    // a trip racing an existing trip writes nothing
    expect(
      await recordBreakerEvent(db, { event_type: "trip", trigger: "win_rate", reason: "late duplicate" }),
    ).toBeNull();
    await recordBreakerEvent(db, { event_type: "reset", trigger: "manual", reason: "operator reviewed" });
    expect((await breakerState(db)).open).toBe(false);
    expect(await checkBreakerRules(db, T)).toMatchObject({ tripped: false });
    const events = await env.DB.prepare("SELECT COUNT(*) AS n FROM circuit_breaker_events").first<{ n: number }>();
    expect(events?.n).toBe(2);
  });
});
