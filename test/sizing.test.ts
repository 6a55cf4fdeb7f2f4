import { describe, expect, it } from "vitest";
import { sizeEntry } from "../src/domain/sizing";

const config = {
  position_sizing_mode: "fixed_usd" as const,
  fixed_position_usd: 50,
  fixed_position_sol: 0.25,
  capital_usd: 1000,
  risk_per_trade_percent: 2,
  capital_allocation_percent: 5,
  leader_ratio: 0.1,
  min_position_usd: 5,
  max_position_usd: 200,
};
const none = {
  position_sizing_mode: null,
  fixed_position_usd: null,
  leader_ratio: null,
  capital_allocation_percent: null,
};
const input = { leader_sol: 2, leader_usd: 300, sol_usd: 150 };
const usd = (r: ReturnType<typeof sizeEntry>) => (r.ok ? r.usd : r.reason);

describe("sizing modes", () => {
  it("fixed_usd: config value, or the wallet's override", () => {
    expect(usd(sizeEntry(config, none, input))).toBe(50);
    expect(usd(sizeEntry(config, { ...none, fixed_position_usd: 80 }, input))).toBe(80);
  });

  it("fixed_sol: SOL amount × SOL price; no SOL price → price_unavailable", () => {
    const c = { ...config, position_sizing_mode: "fixed_sol" as const };
    expect(usd(sizeEntry(c, none, input))).toBeCloseTo(37.5, 10);
    expect(usd(sizeEntry(c, none, { ...input, sol_usd: null }))).toBe("price_unavailable");
  });

  it("percent_capital is the seed's capital × allocation %: the wallet's allocation, else the config's", () => {
    const c = { ...config, position_sizing_mode: "percent_capital" as const };
    expect(usd(sizeEntry(c, none, input))).toBeCloseTo(50, 10); // 1000 × 5 %, no risk % applied
    expect(usd(sizeEntry(c, { ...none, capital_allocation_percent: 12 }, input))).toBeCloseTo(120, 10); // 1000 × 12 %
    expect(usd(sizeEntry(c, { ...none, capital_allocation_percent: 25 }, input))).toBe(200); // 250, clamped to max
  });

  it("risk_percent is its own mode: risk % of the capital, or of the wallet's allocation of it", () => {
    const c = { ...config, position_sizing_mode: "risk_percent" as const };
    expect(usd(sizeEntry(c, none, input))).toBeCloseTo(20, 10); // 2 % of 1000
    expect(usd(sizeEntry(c, { ...none, capital_allocation_percent: 25 }, input))).toBe(5); // 2 % of 250
  });

  it("leader_ratio: ratio × the leader's USD size (wallet ratio wins); SOL-only leader size needs the SOL price", () => {
    const c = { ...config, position_sizing_mode: "leader_ratio" as const };
    expect(usd(sizeEntry(c, none, input))).toBeCloseTo(30, 10);
    expect(usd(sizeEntry(c, { ...none, leader_ratio: 0.5 }, input))).toBeCloseTo(150, 10);
    expect(usd(sizeEntry(c, none, { leader_sol: 2, leader_usd: null, sol_usd: 100 }))).toBeCloseTo(20, 10);
    expect(usd(sizeEntry(c, none, { leader_sol: 2, leader_usd: null, sol_usd: null }))).toBe("price_unavailable");
  });

  it("the wallet's mode overrides the config's", () => {
    expect(usd(sizeEntry(config, { ...none, position_sizing_mode: "risk_percent" }, input))).toBeCloseTo(20, 10);
    expect(usd(sizeEntry(config, { ...none, position_sizing_mode: "percent_capital" }, input))).toBeCloseTo(50, 10);
  });

  it("a re-buy is a percentage of the first entry", () => {
    const r = sizeEntry(config, none, { ...input, rebuy: { first_entry_usd: 120, percent: 50 } });
    expect(r).toMatchObject({ ok: true, usd: 60, mode: "rebuy" });
  });
});

describe("clamping to [min_position_usd, max_position_usd]", () => {
  const ratio = { ...config, position_sizing_mode: "leader_ratio" as const, leader_ratio: 1 };
  it.each([
    [4.99, 5, "min"],
    [5, 5, null], // exactly at min
    [5.01, 5.01, null],
    [199.99, 199.99, null],
    [200, 200, null], // exactly at max
    [200.01, 200, "max"],
    [0, 5, "min"],
  ])("raw %s USD → %s (clamped %s)", (raw, want, clamped) => {
    const r = sizeEntry(ratio, none, { leader_sol: null, leader_usd: raw, sol_usd: null });
    expect(r).toMatchObject({ ok: true, clamped });
    expect(r.ok && r.usd).toBeCloseTo(want, 10);
  });

  it("a re-buy is clamped too", () => {
    expect(sizeEntry(config, none, { ...input, rebuy: { first_entry_usd: 6, percent: 50 } })).toMatchObject({
      usd: 5,
      clamped: "min",
    });
  });
});
