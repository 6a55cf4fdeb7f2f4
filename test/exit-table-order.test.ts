import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { evaluateExits, takeProfitInForce } from "../src/domain/exit-rules";
import type { StrategyRules } from "../src/domain/exit-strategy";
import { api, expectErrorShape } from "./helpers/api";
import { DEFAULT_RULES } from "./helpers/strategies";

/** Issue 9 "Also": take-profit tables (and scaling levels) in any row order. */
const T0 = Date.UTC(2026, 10, 21);
const UNSORTED_TP = [
  { after_minutes: 240, min_profit_percent: 20 },
  { after_minutes: 0, min_profit_percent: 100 },
  { after_minutes: 60, min_profit_percent: 50 },
];

describe("take-profit table in any row order", () => {
  it("an unsorted take-profit table loaded from D1 uses the row of the longest time passed", () => {
    const rules: StrategyRules = { ...DEFAULT_RULES, scaling_levels: [], take_profit_table: UNSORTED_TP };
    expect(takeProfitInForce(rules, 90)).toEqual({ after_minutes: 60, min_profit_percent: 50 });
    expect(takeProfitInForce(rules, 10)).toEqual({ after_minutes: 0, min_profit_percent: 100 });
    const at = (minutes: number, price: number) =>
      evaluateExits({
        rules,
        entry_price_usd: 1,
        peak_price_usd: 1,
        price_usd: price,
        entry_amount: 1000n,
        current_amount: 1000n,
        opened_at_ms: T0,
        now_ms: T0 + minutes * 60_000,
        scaling_levels_hit: [],
        trailing_active: false,
      }).actions.map((a) => a.reason);
    // 90 minutes held: the 60-minute row (+50 %) is in force, not the first-listed 240 or the last-listed 0.
    expect(at(90, 1.49)).toEqual([]);
    expect(at(90, 1.5)).toEqual(["take_profit"]);
    expect(at(300, 1.2)).toEqual(["take_profit"]);
  });

  it("unsorted scaling levels loaded from D1 still fire in ascending order, each once", () => {
    const rules: StrategyRules = {
      ...DEFAULT_RULES,
      scaling_levels: [
        { multiple: 3, sell_percent: 25 },
        { multiple: 2, sell_percent: 50 },
      ],
    };
    const d = evaluateExits({
      rules,
      entry_price_usd: 1,
      peak_price_usd: 1,
      price_usd: 3.5,
      entry_amount: 1000n,
      current_amount: 1000n,
      opened_at_ms: T0,
      now_ms: T0,
      scaling_levels_hit: [],
      trailing_active: false,
    });
    expect(d.actions.map((a) => [a.level, a.amount])).toEqual([
      [2, 500n],
      [3, 250n],
    ]);
  });

  it("the API accepts a take-profit table in any order and stores it sorted; a repeated time is refused", async () => {
    const name = `TP order ${crypto.randomUUID()}`;
    const res = await api("POST", "/api/v1/exit-strategies", { name, take_profit_table: UNSORTED_TP });
    expect(res.status).toBe(201);
    expect(res.body.take_profit_table).toEqual([
      { after_minutes: 0, min_profit_percent: 100 },
      { after_minutes: 60, min_profit_percent: 50 },
      { after_minutes: 240, min_profit_percent: 20 },
    ]);
    const row = await env.DB.prepare("SELECT take_profit_table FROM exit_strategies WHERE id = ?")
      .bind(res.body.id)
      .first<{ take_profit_table: string }>();
    expect(JSON.parse(String(row?.take_profit_table)).map((r: { after_minutes: number }) => r.after_minutes)).toEqual([
      0, 60, 240,
    ]);
    const dup = await api("PATCH", `/api/v1/exit-strategies/${res.body.id}`, {
      take_profit_table: [
        { after_minutes: 60, min_profit_percent: 10 },
        { after_minutes: 60, min_profit_percent: 20 },
      ],
    });
    expect(dup.status).toBe(400);
    expectErrorShape(dup.body, "ValidationError");
    expect(dup.body.detail).toMatch(/take_profit_table/);
  });
});
