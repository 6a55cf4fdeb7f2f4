import { describe, expect, it } from "vitest";
import {
  applyExitFill,
  type ExitInput,
  evaluateExits,
  fractionOf,
  pollInterval,
  positionPnl,
} from "../src/domain/exit-rules";
import type { StrategyRules } from "../src/domain/exit-strategy";
import { DEFAULT_RULES } from "./helpers/strategies";

const DEFAULT: StrategyRules = DEFAULT_RULES;
const ENTRY = 1_000_000_000n; // 1000 tokens of 6 decimals
const T0 = Date.UTC(2026, 10, 21, 0, 0, 0);

const tick = (over: Partial<ExitInput>): ExitInput => ({
  rules: DEFAULT,
  entry_price_usd: 1,
  peak_price_usd: 1,
  price_usd: 1,
  entry_amount: ENTRY,
  current_amount: ENTRY,
  opened_at_ms: T0,
  now_ms: T0 + 60_000,
  scaling_levels_hit: [],
  trailing_active: false,
  ...over,
});
const summary = (d: ReturnType<typeof evaluateExits>) => d.actions.map((a) => [a.reason, a.amount, a.full, a.level]);

describe("stop-loss", () => {
  it("fires exactly at entry × (1 − 25 %), and not a hair above", () => {
    expect(summary(evaluateExits(tick({ price_usd: 0.75 })))).toEqual([["stop_loss", ENTRY, true, undefined]]);
    expect(evaluateExits(tick({ price_usd: 0.7500001 })).actions).toEqual([]);
  });
  it("fills a gap below the stop at the gap price", () => {
    const [a] = evaluateExits(tick({ price_usd: 0.4 })).actions;
    expect(a).toMatchObject({ reason: "stop_loss", price_usd: 0.4, amount: ENTRY });
  });
  it("is off when the strategy has none", () => {
    expect(evaluateExits(tick({ price_usd: 0.01, rules: { ...DEFAULT, stop_loss_percent: null } })).actions).toEqual(
      [],
    );
  });
});

describe("trailing stop", () => {
  it("stays unarmed below its activation threshold, whatever the drawdown", () => {
    const d = evaluateExits(tick({ peak_price_usd: 1.49, price_usd: 1.0 }));
    expect(d.trailing_active).toBe(false);
    expect(d.actions).toEqual([]);
  });
  it("arms at +50 % and fires on a 15 % drawdown from the peak", () => {
    const armed = evaluateExits(tick({ price_usd: 1.5 }));
    expect(armed.trailing_active).toBe(true);
    expect(armed.peak_price_usd).toBe(1.5);
    expect(armed.actions).toEqual([]);
    const above = evaluateExits(tick({ peak_price_usd: 1.8, price_usd: 1.531, trailing_active: true }));
    expect(above.actions).toEqual([]);
    const fired = evaluateExits(tick({ peak_price_usd: 1.8, price_usd: 1.53, trailing_active: true }));
    expect(summary(fired)).toEqual([["trailing_stop", ENTRY, true, undefined]]);
  });
  it("with no activation threshold is armed from entry", () => {
    const rules = { ...DEFAULT, trailing_activation_percent: null, stop_loss_percent: null };
    expect(evaluateExits(tick({ rules, peak_price_usd: 1.2, price_usd: 1.02 })).actions[0]?.reason).toBe(
      "trailing_stop",
    );
  });
});

describe("scaling out", () => {
  it("sells 50 % of the entry at 2x, once", () => {
    const d = evaluateExits(tick({ price_usd: 2 }));
    expect(summary(d)).toEqual([["scaling_out", 500_000_000n, false, 2]]);
    expect(d.scaling_levels_hit).toEqual([2]);
    expect(d.remaining_after).toBe(500_000_000n);
    const again = evaluateExits(tick({ price_usd: 2.2, scaling_levels_hit: [2], current_amount: 500_000_000n }));
    expect(again.actions).toEqual([]);
  });
  it("fires several crossed levels in ascending order on one tick, 25 % kept", () => {
    const d = evaluateExits(tick({ price_usd: 3.5 }));
    expect(summary(d)).toEqual([
      ["scaling_out", 500_000_000n, false, 2],
      ["scaling_out", 250_000_000n, false, 3],
    ]);
    expect(d.remaining_after).toBe(250_000_000n);
  });
  it("never sells more than remains", () => {
    const d = evaluateExits(tick({ price_usd: 2, current_amount: 100_000_000n }));
    expect(summary(d)).toEqual([["scaling_out", 100_000_000n, true, 2]]);
  });
});

describe("mirror exit and priorities", () => {
  it("sells the leader's fraction of what remains", () => {
    const d = evaluateExits(tick({ pending_mirror: { fraction: 0.5, signal_id: 7 } }));
    expect(d.actions).toEqual([
      { reason: "mirror_exit", amount: 500_000_000n, full: false, signal_id: 7, price_usd: 1 },
    ]);
  });
  it("a full mirror ends the evaluation before any other rule", () => {
    const d = evaluateExits(tick({ price_usd: 0.5, pending_mirror: { fraction: 1, signal_id: 7 } }));
    expect(summary(d)).toEqual([["mirror_exit", ENTRY, true, undefined]]);
  });
  it("a partial mirror then a stop-loss on the same tick sells the rest as stop_loss", () => {
    const d = evaluateExits(tick({ price_usd: 0.7, pending_mirror: { fraction: 0.25, signal_id: 3 } }));
    expect(summary(d)).toEqual([
      ["mirror_exit", 250_000_000n, false, undefined],
      ["stop_loss", 750_000_000n, true, undefined],
    ]);
  });
  it("is ignored when the strategy disables it", () => {
    const rules = { ...DEFAULT, mirror_exit_enabled: false };
    expect(evaluateExits(tick({ rules, pending_mirror: { fraction: 1, signal_id: 1 } })).actions).toEqual([]);
  });
  it("trailing beats scaling on the same tick", () => {
    const d = evaluateExits(tick({ peak_price_usd: 2.5, price_usd: 2.1, trailing_active: true }));
    expect(summary(d)).toEqual([["trailing_stop", ENTRY, true, undefined]]);
  });
  it("take-profit beats the time exit", () => {
    const rules = {
      ...DEFAULT,
      max_hold_minutes: 60,
      take_profit_table: [{ after_minutes: 0, min_profit_percent: 20 }],
    };
    const d = evaluateExits(tick({ rules, price_usd: 1.25, now_ms: T0 + 61 * 60_000 }));
    expect(summary(d)).toEqual([["take_profit", ENTRY, true, undefined]]);
  });
});

describe("time-based exits", () => {
  const rules: StrategyRules = {
    ...DEFAULT,
    scaling_levels: [],
    take_profit_table: [
      { after_minutes: 0, min_profit_percent: 100 },
      { after_minutes: 60, min_profit_percent: 50 },
      { after_minutes: 240, min_profit_percent: 20 },
    ],
    max_hold_minutes: 1440,
  };
  it("uses the take-profit row in force for the time held", () => {
    expect(evaluateExits(tick({ rules, price_usd: 1.9, now_ms: T0 + 30 * 60_000 })).actions).toEqual([]);
    expect(evaluateExits(tick({ rules, price_usd: 2.0, now_ms: T0 + 30 * 60_000 })).actions[0]?.reason).toBe(
      "take_profit",
    );
    expect(evaluateExits(tick({ rules, price_usd: 1.49, now_ms: T0 + 61 * 60_000 })).actions).toEqual([]);
    expect(evaluateExits(tick({ rules, price_usd: 1.5, now_ms: T0 + 60 * 60_000 })).actions[0]?.reason).toBe(
      "take_profit",
    );
    expect(evaluateExits(tick({ rules, price_usd: 1.2, now_ms: T0 + 241 * 60_000 })).actions[0]?.reason).toBe(
      "take_profit",
    );
  });
  it("closes at the maximum hold time", () => {
    expect(evaluateExits(tick({ rules, price_usd: 1.0, now_ms: T0 + 1439 * 60_000 })).actions).toEqual([]);
    expect(summary(evaluateExits(tick({ rules, price_usd: 1.0, now_ms: T0 + 1440 * 60_000 })))).toEqual([
      ["time_exit", ENTRY, true, undefined],
    ]);
  });
});

describe("adaptive polling", () => {
  const cfg = { poll_urgent_seconds: 20, poll_active_seconds: 30, poll_stable_seconds: 60, near_trigger_percent: 5 };
  const p = (over: Partial<ExitInput>) => {
    const t = tick(over);
    return { ...t, scaling_levels_hit: t.scaling_levels_hit };
  };
  it("is stable far from every trigger", () => {
    expect(pollInterval(p({ price_usd: 1.0 }), cfg)).toEqual({ seconds: 60, mode: "stable" });
  });
  it("is urgent within 5 % of the stop or of a scaling level", () => {
    expect(pollInterval(p({ price_usd: 0.7875 }), cfg).mode).toBe("urgent"); // 5 % above 0.75
    expect(pollInterval(p({ price_usd: 0.79 }), cfg).mode).toBe("stable");
    expect(pollInterval(p({ price_usd: 1.9 }), cfg).mode).toBe("urgent"); // 5 % below 2x
  });
  it("is active while the trailing stop is armed and nothing is near", () => {
    expect(pollInterval(p({ price_usd: 1.6, peak_price_usd: 1.6, trailing_active: true }), cfg)).toEqual({
      seconds: 30,
      mode: "active",
    });
    expect(pollInterval(p({ price_usd: 1.4, peak_price_usd: 1.6, trailing_active: true }), cfg).mode).toBe("urgent");
  });
});

describe("PnL", () => {
  it("accumulates realized PnL and a weighted average exit price over partial fills", () => {
    const base = { entry_amount: ENTRY, entry_cost_usd: 1000, decimals: 6 };
    const f1 = applyExitFill({
      ...base,
      current_amount: ENTRY,
      sold_amount_total: 0n,
      exit_proceeds_usd: 0,
      realized_pnl_usd: 0,
      sold: 500_000_000n,
      proceeds_usd: 1000,
    });
    expect(f1).toMatchObject({
      current_amount: 500_000_000n,
      realized_pnl_usd: 500,
      avg_exit_price_usd: 2,
      closed: false,
    });
    const f2 = applyExitFill({
      ...base,
      current_amount: f1.current_amount,
      sold_amount_total: f1.sold_amount_total,
      exit_proceeds_usd: f1.exit_proceeds_usd,
      realized_pnl_usd: f1.realized_pnl_usd,
      sold: 250_000_000n,
      proceeds_usd: 750,
    });
    expect(f2.realized_pnl_usd).toBe(1000);
    expect(f2.avg_exit_price_usd).toBeCloseTo(1750 / 750, 12);
    const pnl = positionPnl({
      ...base,
      current_amount: f2.current_amount,
      price_usd: 3,
      realized_pnl_usd: f2.realized_pnl_usd,
    });
    expect(pnl).toEqual({ unrealized_pnl_usd: 500, realized_pnl_usd: 1000, total_pnl_usd: 1500, pnl_percent: 150 });
  });
  it("caps a fill at what remains and closes the position", () => {
    const f = applyExitFill({
      entry_amount: ENTRY,
      entry_cost_usd: 1000,
      decimals: 6,
      current_amount: 100_000_000n,
      sold_amount_total: 900_000_000n,
      exit_proceeds_usd: 900,
      realized_pnl_usd: 0,
      sold: 200_000_000n,
      proceeds_usd: 100,
    });
    expect(f).toMatchObject({ sold: 100_000_000n, current_amount: 0n, closed: true });
    expect(f.realized_pnl_usd).toBeCloseTo(50 - 100, 9);
  });
  it("fractionOf stays in base units", () => {
    expect(fractionOf(3n, 0.5)).toBe(1n);
    expect(fractionOf(123_456_789_012_345_678n, 1)).toBe(123_456_789_012_345_678n);
    expect(fractionOf(1_000_000n, 0.333333333)).toBe(333_333n);
    expect(fractionOf(10n, 0)).toBe(0n);
  });
});
