import { describe, expect, it } from "vitest";
import { type CopyFacts, checkCopyRules, checkExposure, effectiveCopyRules } from "../src/domain/copy-rules";
import { isStale } from "../src/domain/signal-filters";

const config = {
  min_leader_trade_sol: 0.1,
  max_leader_trade_sol: 100,
  allow_rebuys: false,
  rebuy_size_percent: 50,
  mint_cooldown_seconds: 3600,
  max_open_positions: 3,
  max_total_exposure_usd: 500,
};
const none = {
  min_leader_trade_sol: null,
  max_leader_trade_sol: null,
  allow_rebuys: null,
  rebuy_size_percent: null,
  mint_cooldown_seconds: null,
};
const NOW = 1_800_000_000_000;
const facts = (f: Partial<CopyFacts> = {}): CopyFacts => ({
  leader_trade_sol: 1,
  prior_entry_usd: null,
  last_exit_at_ms: null,
  now_ms: NOW,
  open_positions: 0,
  exposure_usd: 0,
  ...f,
});
const rules = effectiveCopyRules(config, none);
const reason = (d: ReturnType<typeof checkCopyRules>) => (d.ok ? "ok" : d.reason);

describe("effective rules", () => {
  it("a wallet override wins over the config default; null falls back", () => {
    const r = effectiveCopyRules(config, {
      ...none,
      min_leader_trade_sol: 2,
      allow_rebuys: true,
      mint_cooldown_seconds: 0,
    });
    expect(r).toMatchObject({
      min_leader_trade_sol: 2,
      max_leader_trade_sol: 100,
      allow_rebuys: true,
      mint_cooldown_seconds: 0,
    });
  });
});

describe("leader trade size range", () => {
  it.each([
    [0.0999, "leader_trade_too_small"],
    [0.1, "ok"], // exactly at min
    [0.1001, "ok"],
    [99.999, "ok"],
    [100, "ok"], // exactly at max
    [100.0001, "leader_trade_too_large"],
  ])("%s SOL → %s", (sol, want) => {
    expect(reason(checkCopyRules(rules, facts({ leader_trade_sol: sol })))).toBe(want);
  });
});

describe("buy once per token per leader", () => {
  it("refuses a second buy unless re-buys are allowed, and flags the re-buy", () => {
    expect(reason(checkCopyRules(rules, facts({ prior_entry_usd: 40 })))).toBe("already_bought");
    const allowed = effectiveCopyRules(config, { ...none, allow_rebuys: true });
    expect(checkCopyRules(allowed, facts({ prior_entry_usd: 40 }))).toEqual({ ok: true, rebuy: true });
    expect(checkCopyRules(allowed, facts())).toEqual({ ok: true, rebuy: false });
  });
});

describe("mint cooldown after an exit", () => {
  it.each([
    [3599_999, "mint_cooldown"], // 1 ms inside the cooldown
    [3600_000, "ok"], // exactly the cooldown elapsed
    [3600_001, "ok"],
  ])("exit %i ms ago → %s", (ago, want) => {
    expect(reason(checkCopyRules(rules, facts({ last_exit_at_ms: NOW - ago })))).toBe(want);
  });
  it("a zero cooldown never blocks", () => {
    const r = effectiveCopyRules(config, { ...none, mint_cooldown_seconds: 0 });
    expect(reason(checkCopyRules(r, facts({ last_exit_at_ms: NOW })))).toBe("ok");
  });
});

describe("open positions cap", () => {
  it.each([
    [2, "ok"],
    [3, "max_open_positions"], // at the cap: a new one would exceed it
    [4, "max_open_positions"],
  ])("%i open → %s", (n, want) => {
    expect(reason(checkCopyRules(rules, facts({ open_positions: n })))).toBe(want);
  });
});

describe("total exposure cap", () => {
  it.each([
    [450, 49.99, "ok"],
    [450, 50, "ok"], // exactly at the cap
    [450, 50.01, "max_exposure"],
    [500, 1, "max_exposure"],
  ])("exposure %s + entry %s → %s", (exposure, entry, want) => {
    expect(reason(checkExposure(rules, exposure, entry))).toBe(want);
  });
});

describe("rule order", () => {
  it("the leader size is checked first, then buy-once, cooldown, open cap", () => {
    expect(
      reason(
        checkCopyRules(
          rules,
          facts({ leader_trade_sol: 0.01, prior_entry_usd: 1, last_exit_at_ms: NOW, open_positions: 9 }),
        ),
      ),
    ).toBe("leader_trade_too_small");
    expect(reason(checkCopyRules(rules, facts({ prior_entry_usd: 1, last_exit_at_ms: NOW, open_positions: 9 })))).toBe(
      "already_bought",
    );
    expect(reason(checkCopyRules(rules, facts({ last_exit_at_ms: NOW, open_positions: 9 })))).toBe("mint_cooldown");
  });
});

describe("signal age (stale_signal)", () => {
  const block = 1_800_000_000; // on-chain seconds
  it.each([
    [59_999, false],
    [60_000, false], // exactly the maximum age: still copied
    [60_001, true],
    [-5_000, false], // clock skew: a block time slightly ahead is not stale
  ])("received %i ms after the block → stale %s", (after, want) => {
    expect(isStale(block, block * 1000 + after, 60)).toBe(want);
  });
});
