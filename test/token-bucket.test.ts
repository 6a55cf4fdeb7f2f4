import { describe, expect, it } from "vitest";
import { refill, takeToken, tokenReadyAt } from "../src/domain/token-bucket";

const limits = { per_second: 0.5, burst: 2 };

describe("token bucket arithmetic (injected clock)", () => {
  it("starts full, takes burst tokens at once, then one per 1/rate seconds", () => {
    const t0 = 1_000_000;
    let r = takeToken(null, limits, t0);
    expect(r).toMatchObject({ taken: true, state: { tokens: 1, at_ms: t0 } });
    r = takeToken(r.state, limits, t0);
    expect(r.taken).toBe(true);
    expect(r.ready_at_ms).toBe(t0 + 2000);
    const empty = takeToken(r.state, limits, t0 + 1999);
    expect(empty.taken).toBe(false);
    expect(empty.ready_at_ms).toBe(t0 + 2000);
    expect(takeToken(empty.state, limits, t0 + 2000).taken).toBe(true);
  });

  it("never holds more than the burst, and a smaller burst caps what was stored", () => {
    expect(refill({ tokens: 0, at_ms: 0 }, limits, 3_600_000).tokens).toBe(2);
    expect(refill({ tokens: 5, at_ms: 0 }, { per_second: 1, burst: 1 }, 0).tokens).toBe(1);
  });

  it("a clock that goes backwards adds nothing and never moves the state back", () => {
    const s = refill({ tokens: 0.25, at_ms: 10_000 }, limits, 5_000);
    expect(s).toEqual({ tokens: 0.25, at_ms: 10_000 });
    expect(tokenReadyAt(s, limits, 5_000)).toBe(10_000 + 1500);
  });

  it("an unreadable stored state counts as a fresh, full bucket", () => {
    expect(refill({ tokens: Number.NaN, at_ms: 0 }, limits, 7).tokens).toBe(2);
  });
});
