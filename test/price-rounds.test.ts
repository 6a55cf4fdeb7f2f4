import { describe, expect, it } from "vitest";
import {
  ACTIVE_MS,
  FRESH_MS,
  freeSlots,
  isFresh,
  type MintPolls,
  piggybackMints,
  pruneTracked,
  recordRequest,
  roundSlot,
} from "../src/domain/price-rounds";

describe("price rounds (pure)", () => {
  it("learns a mint's polling interval from its requests, ignoring a repeat within a second", () => {
    const a = recordRequest(undefined, 1_000);
    expect(a).toEqual({ last_request_ms: 1_000, interval_ms: null });
    expect(recordRequest(a, 1_500)).toBe(a);
    expect(recordRequest(a, 21_000)).toEqual({ last_request_ms: 21_000, interval_ms: 20_000 });
  });

  it("counts free ids only in the calls a round costs anyway", () => {
    expect(freeSlots(0, 50)).toBe(0);
    expect(freeSlots(1, 50)).toBe(49);
    expect(freeSlots(50, 50)).toBe(0);
    expect(freeSlots(51, 50)).toBe(49);
  });

  it("a fetch is fresh for FRESH_MS, never from the future", () => {
    expect(isFresh(undefined, 10)).toBe(false);
    expect(isFresh(1_000, 1_000 + FRESH_MS)).toBe(true);
    expect(isFresh(1_000, 1_001 + FRESH_MS)).toBe(false);
    expect(isFresh(2_000, 1_000)).toBe(false);
  });

  it("piggybacks the mints due soonest within the window, leaving out asked, fresh and far ones", () => {
    const now = 100_000;
    const tracked = new Map<string, MintPolls>([
      ["due-now", { last_request_ms: now - 20_000, interval_ms: 20_000 }],
      ["due-soon", { last_request_ms: now - 18_000, interval_ms: 20_000 }],
      ["seen-once", { last_request_ms: now - 19_000, interval_ms: null }], // default 20 s → due in 1 s
      ["late", { last_request_ms: now - 25_000, interval_ms: 20_000 }], // was due 5 s ago: not polling any more
      ["far", { last_request_ms: now - 5_000, interval_ms: 20_000 }],
      ["asked", { last_request_ms: now - 20_000, interval_ms: 20_000 }],
      ["fresh", { last_request_ms: now - 20_000, interval_ms: 20_000 }],
    ]);
    const pick = (slots: number) =>
      piggybackMints({
        tracked,
        fetchedAt: (m) => (m === "fresh" ? now - 1_000 : undefined),
        exclude: new Set(["asked"]),
        now,
        slots,
        defaultIntervalMs: 20_000,
      });
    expect(pick(10)).toEqual(["due-now", "seen-once", "due-soon"]);
    expect(pick(2)).toEqual(["due-now", "seen-once"]);
    expect(pick(0)).toEqual([]);
  });

  it("forgets mints nobody asked for ACTIVE_MS and keeps at most `max` (the least recent go)", () => {
    const now = 10 * ACTIVE_MS;
    const tracked = new Map<string, MintPolls>([
      ["old", { last_request_ms: now - ACTIVE_MS - 1, interval_ms: null }],
      ["a", { last_request_ms: now - 3, interval_ms: null }],
      ["b", { last_request_ms: now - 2, interval_ms: null }],
      ["c", { last_request_ms: now - 1, interval_ms: null }],
    ]);
    expect(pruneTracked(tracked, now, 2).sort()).toEqual(["a", "old"]);
    expect([...tracked.keys()].sort()).toEqual(["b", "c"]);
  });

  it("a new poller joins the densest window of predicted polls within its interval, else none", () => {
    const now = 100_000;
    const at = (t: number): MintPolls => ({ last_request_ms: t - 20_000, interval_ms: 20_000 });
    const tracked = new Map<string, MintPolls>([
      ["early", at(now + 2_000)],
      ["r1", at(now + 9_000)],
      ["r2", at(now + 9_500)],
      ["r3", at(now + 9_000 + FRESH_MS)],
      ["late", at(now + 25_000)], // beyond the new poller's interval
      ["self", at(now + 1_000)],
    ]);
    const slot = (t: Map<string, MintPolls>) =>
      roundSlot({ tracked: t, now, intervalMs: 20_000, defaultIntervalMs: 20_000, exclude: "self" });
    expect(slot(tracked)).toBe(now + 9_000);
    expect(slot(new Map([["late", at(now + 25_000)]]))).toBeNull();
    // A tie goes to the earliest window; a mint seen once is predicted at the default interval.
    expect(
      slot(
        new Map<string, MintPolls>([
          ["x", at(now + 4_000)],
          ["y", { last_request_ms: now - 5_000, interval_ms: null }],
        ]),
      ),
    ).toBe(now + 4_000);
  });
});
