import { describe, expect, it } from "vitest";
import { api, expectErrorShape } from "./helpers/api";

/** POST /api/v1/strategies/simulate on hand-computed paths (Default: 25 % stop, 15 % trail at +50 %, 2x/3x). */
type Exit = { at_seconds: number; reason: string; fraction_of_entry: number; price_usd: number; level?: number };

async function simulate(body: Record<string, unknown>) {
  const res = await api("POST", "/api/v1/strategies/simulate", { entry_price_usd: 1, amount_usd: 100, ...body });
  return res;
}
const ticks = (...pts: [number, number][]) => pts.map(([at_seconds, price_usd]) => ({ at_seconds, price_usd }));
const brief = (exits: Exit[]) =>
  exits.map((e) => [e.at_seconds, e.reason, Number(e.fraction_of_entry.toFixed(9)), e.price_usd]);

describe("strategy simulator: hand-computed paths", () => {
  it("stop-loss fires exactly on the threshold and closes with -25 %", async () => {
    const r = await simulate({ ticks: ticks([60, 0.9], [120, 0.75], [180, 0.5]) });
    expect(r.status).toBe(200);
    expect(brief(r.body.exits)).toEqual([[120, "stop_loss", 1, 0.75]]);
    expect(r.body).toMatchObject({ status: "closed", exit_reason: "stop_loss", remaining_fraction: 0 });
    expect(r.body.total_pnl_usd).toBeCloseTo(-25, 6);
    expect(r.body.pnl_percent).toBeCloseTo(-25, 6);
  });

  it("a gap through the stop fills at the gap price", async () => {
    const r = await simulate({ ticks: ticks([60, 0.9], [120, 0.4]) });
    expect(brief(r.body.exits)).toEqual([[120, "stop_loss", 1, 0.4]]);
    expect(r.body.realized_pnl_usd).toBeCloseTo(-60, 6);
  });

  it("the trailing stop arms past +50 % and fires 15 % below the peak, not before", async () => {
    const r = await simulate({ ticks: ticks([60, 1.4], [120, 1.2], [180, 1.6], [240, 1.37], [300, 1.36]) });
    // 1.4 → 1.2 is a 14 % drop but the trail is not armed yet; from the 1.6 peak it fires at 1.36 exactly.
    expect(brief(r.body.exits)).toEqual([[300, "trailing_stop", 1, 1.36]]);
    expect(r.body.total_pnl_usd).toBeCloseTo(36, 6);
  });

  it("each scaling level sells once; several levels crossed on one tick fire in ascending order", async () => {
    const once = await simulate({ ticks: ticks([60, 2], [120, 2.1], [180, 1.9], [240, 2.2]) });
    expect(brief(once.body.exits)).toEqual([[60, "scaling_out", 0.5, 2]]);
    expect(once.body.exits[0].level).toBe(2);
    expect(once.body).toMatchObject({ status: "open", remaining_fraction: 0.5 });
    expect(once.body.realized_pnl_usd).toBeCloseTo(50, 6);
    expect(once.body.unrealized_pnl_usd).toBeCloseTo(50 * 2.2 - 50, 6);
    const both = await simulate({ ticks: ticks([60, 3.5]) });
    expect(brief(both.body.exits)).toEqual([
      [60, "scaling_out", 0.5, 3.5],
      [60, "scaling_out", 0.25, 3.5],
    ]);
    expect(both.body.exits.map((e: Exit) => e.level)).toEqual([2, 3]);
    expect(both.body.remaining_fraction).toBeCloseTo(0.25, 9);
  });

  it("the time exit closes at the maximum hold time, not a second before", async () => {
    const r = await simulate({ strategy: { max_hold_minutes: 60 }, ticks: ticks([3599, 1.1], [3600, 1.1]) });
    expect(brief(r.body.exits)).toEqual([[3600, "time_exit", 1, 1.1]]);
  });

  it("the take-profit table switches rows on their boundaries (given in any order)", async () => {
    const strategy = {
      take_profit_table: [
        { after_minutes: 60, min_profit_percent: 20 },
        { after_minutes: 0, min_profit_percent: 40 },
      ],
      scaling_levels: [],
      trailing_stop_percent: null,
      trailing_activation_percent: null,
    };
    const early = await simulate({ strategy, ticks: ticks([600, 1.39], [3599, 1.3], [3600, 1.2]) });
    expect(brief(early.body.exits)).toEqual([[3600, "take_profit", 1, 1.2]]);
    const first = await simulate({ strategy, ticks: ticks([0, 1.4]) });
    expect(brief(first.body.exits)).toEqual([[0, "take_profit", 1, 1.4]]);
    expect(early.body.strategy.rules.take_profit_table.map((r: { after_minutes: number }) => r.after_minutes)).toEqual([
      0, 60,
    ]);
  });

  it("a mirrored leader sale sells its fraction, then the stop takes the remainder", async () => {
    const r = await simulate({
      ticks: ticks([30, 1.1], [60, 0.7]),
      leader_sales: [{ at_seconds: 45, fraction: 0.4 }],
    });
    // The sale at 45 s fills at the last price seen (1.1); the stop at 60 s sells the 60 % left.
    expect(brief(r.body.exits)).toEqual([
      [45, "mirror_exit", 0.4, 1.1],
      [60, "stop_loss", 0.6, 0.7],
    ]);
    expect(r.body.realized_pnl_usd).toBeCloseTo(40 * 1.1 - 40 + 60 * 0.7 - 60, 6);
    const sameTick = await simulate({ ticks: ticks([60, 0.7]), leader_sales: [{ at_seconds: 60, fraction: 0.25 }] });
    expect(brief(sameTick.body.exits)).toEqual([
      [60, "mirror_exit", 0.25, 0.7],
      [60, "stop_loss", 0.75, 0.7],
    ]);
    const off = await simulate({
      strategy: { mirror_exit_enabled: false },
      ticks: ticks([60, 1]),
      leader_sales: [{ at_seconds: 10, fraction: 1 }],
    });
    expect(off.body.exits).toEqual([]);
  });

  it("rules fire in priority order on one tick: stop-loss over take-profit, take-profit over the time exit", async () => {
    const stop = await simulate({
      strategy: { take_profit_table: [{ after_minutes: 0, min_profit_percent: -40 }] },
      ticks: ticks([60, 0.7]),
    });
    expect(brief(stop.body.exits)).toEqual([[60, "stop_loss", 1, 0.7]]);
    const tp = await simulate({
      strategy: { max_hold_minutes: 1, take_profit_table: [{ after_minutes: 0, min_profit_percent: 10 }] },
      ticks: ticks([60, 1.1]),
    });
    expect(brief(tp.body.exits)).toEqual([[60, "take_profit", 1, 1.1]]);
  });
});

describe("strategy simulator: validation", () => {
  it.each([
    ["ticks out of order", { ticks: ticks([60, 1], [30, 1]) }, /ticks\.1\.at_seconds/],
    ["no ticks", { ticks: [] }, /ticks/],
    ["a zero price", { ticks: ticks([60, 0]) }, /ticks\.0\.price_usd/],
    ["a bad override field", { strategy: { stop_loss_percent: 0 }, ticks: ticks([1, 1]) }, /stop_loss_percent/],
    ["an unknown field", { ticks: ticks([1, 1]), stop: 3 }, /stop/],
    ["a leader fraction above 1", { ticks: ticks([1, 1]), leader_sales: [{ at_seconds: 1, fraction: 2 }] }, /fraction/],
    ["a merged rule conflict", { strategy: { trailing_stop_percent: null }, ticks: ticks([1, 1]) }, /trailing/],
    ["an amount below one base unit", { amount_usd: 1e-9, ticks: ticks([1, 1]) }, /amount_usd/],
  ])("refuses %s with a 400 naming the field", async (_name, body, field) => {
    const r = await simulate(body);
    expect(r.status).toBe(400);
    expectErrorShape(r.body, "ValidationError");
    expect(r.body.detail).toMatch(field);
  });

  it("answers 404 for an unknown strategy id and 400 for a body that is not JSON", async () => {
    const r = await simulate({ strategy_id: 999_999, ticks: ticks([1, 1]) });
    expect(r.status).toBe(404);
    expectErrorShape(r.body, "NotFound");
    const bad = await api("POST", "/api/v1/strategies/simulate", "{not json", { "content-type": "application/json" });
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body);
  });

  it("is listed in the OpenAPI document", async () => {
    const doc = await api("GET", "/openapi.json");
    expect(doc.body.paths["/api/v1/strategies/simulate"]?.post).toBeDefined();
  });
});
