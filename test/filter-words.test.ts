import { describe, expect, it } from "vitest";
import { type FilterFacts, type FilterLimits, filterInWords } from "../src/domain/filter-words";

const today: FilterLimits = {
  min_leader_trade_sol: 0.1,
  max_leader_trade_sol: 100,
  max_signal_age_seconds: 60,
  safety_threshold: 0.6,
  max_open_positions: 10,
  max_total_exposure_usd: 1000,
  mint_cooldown_seconds: 3600,
};
const facts = (f: Partial<FilterFacts>): FilterFacts => ({
  filter_reason: null,
  signal_type: "buy",
  sol_amount: null,
  safety_score: null,
  block_time: null,
  webhook_received_at: null,
  ...f,
});

describe("a filtered signal's reason in words uses the limits it was decided on (issue 13)", () => {
  it("a size filtered under a minimum since lowered shows the minimum of that moment, not today's", () => {
    const s = facts({
      filter_reason: "leader_trade_too_small",
      sol_amount: 1,
      filter_detail: JSON.stringify({ leader_trade_sol: 1, min_leader_trade_sol: 5, max_leader_trade_sol: 50 }),
    });
    expect(filterInWords(s, today)).toBe("leader's trade 1 SOL is below the minimum 5 SOL (range 5–50 SOL)");
  });

  it("a failed safety check shows the threshold then; a stale signal the age limit then", () => {
    const safety = facts({
      filter_reason: "safety_check_failed",
      safety_score: 0.5,
      filter_detail: '{"safety_threshold":0.8}',
    });
    expect(filterInWords(safety, today)).toBe("token safety score 0.5 is below the threshold 0.8");
    const stale = facts({
      filter_reason: "stale_signal",
      block_time: "2026-12-01T00:00:00.000Z",
      webhook_received_at: "2026-12-01T00:00:45.000Z",
      filter_detail: '{"signal_age_seconds":45,"max_signal_age_seconds":30}',
    });
    expect(filterInWords(stale, today)).toBe("signal was 45 s old when received; the limit is 30 s");
  });

  it("a row without detail, or with an unreadable one, falls back to today's limits", () => {
    const old = facts({ filter_reason: "leader_trade_too_small", sol_amount: 0.05 });
    expect(filterInWords(old, today)).toContain("below the minimum 0.1 SOL");
    expect(filterInWords({ ...old, filter_detail: "{not json" }, today)).toContain("below the minimum 0.1 SOL");
    expect(filterInWords({ ...old, filter_detail: '{"min_leader_trade_sol":"5"}' }, today)).toContain(
      "below the minimum 0.1 SOL",
    );
  });
});
