import { describe, expect, it } from "vitest";
import {
  intervalAfterRun,
  isSoldAmount,
  needsHealing,
  positionRules,
  urgentSeconds,
} from "../src/domain/position-calls";
import { DEFAULT_URGENT_SECONDS } from "../src/domain/position-poll";
import { DEFAULT_RULES } from "./helpers/strategies";

// The small decisions inside the PositionActor's calls (src/domain/position-calls.ts), without a runtime.

describe("position rules", () => {
  it("are the template when there is no override", () => {
    expect(positionRules({ template_rules: DEFAULT_RULES, strategy_override: null })).toEqual(DEFAULT_RULES);
  });

  it("take the override's fields over the template's and keep the rest", () => {
    const r = positionRules({
      template_rules: DEFAULT_RULES,
      strategy_override: { stop_loss_percent: 10, mirror_exit_enabled: false },
    });
    expect(r.stop_loss_percent).toBe(10);
    expect(r.mirror_exit_enabled).toBe(false);
    expect(r.trailing_stop_percent).toBe(DEFAULT_RULES.trailing_stop_percent);
    expect(DEFAULT_RULES.stop_loss_percent).toBe(25); // the template itself is not changed
  });

  it("throw while the template is not loaded, so no exit is decided without rules", () => {
    expect(() => positionRules({ template_rules: null, strategy_override: { stop_loss_percent: 10 } })).toThrow(
      /not loaded/,
    );
  });
});

describe("poll intervals", () => {
  it("the urgent interval is the config's, or the default without one", () => {
    expect(urgentSeconds({ poll_urgent_seconds: 7 })).toBe(7);
    expect(urgentSeconds(null)).toBe(DEFAULT_URGENT_SECONDS);
    expect(urgentSeconds(undefined)).toBe(DEFAULT_URGENT_SECONDS);
  });

  it("a run that decided its interval keeps it, without switching to urgent", () => {
    expect(intervalAfterRun(60, { poll_urgent_seconds: 7 })).toEqual({ seconds: 60, urgent: false });
    expect(intervalAfterRun(60, null)).toEqual({ seconds: 60, urgent: false });
  });

  it("a run that failed before deciding polls again at the urgent interval", () => {
    expect(intervalAfterRun(null, { poll_urgent_seconds: 7 })).toEqual({ seconds: 7, urgent: true });
    expect(intervalAfterRun(null, null)).toEqual({ seconds: DEFAULT_URGENT_SECONDS, urgent: true });
  });
});

describe("fill amounts", () => {
  it("only a string of digits is a sold amount", () => {
    expect(isSoldAmount("0")).toBe(true);
    expect(isSoldAmount("123456789012345678901234567890")).toBe(true);
    for (const bad of ["", "-1", "1.5", "1e9", " 12", "12 ", "0x10", "abc"]) expect(isSoldAmount(bad)).toBe(false);
  });
});

describe("watchdog healing", () => {
  const never = () => {
    throw new Error("pending read");
  };

  it("an exit to release is work, without reading the pending exits", () => {
    expect(needsHealing(2, "open", never)).toBe(true);
    expect(needsHealing(1, "closing", never)).toBe(true);
  });

  it("an open or closed position with nothing to release has none", () => {
    expect(needsHealing(0, "open", never)).toBe(false);
    expect(needsHealing(0, "closed", never)).toBe(false);
  });

  it("a closing position needs healing only when no full exit is live", () => {
    expect(needsHealing(0, "closing", () => false)).toBe(true);
    expect(needsHealing(0, "closing", () => true)).toBe(false);
  });
});
