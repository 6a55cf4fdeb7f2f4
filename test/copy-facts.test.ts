import { describe, expect, it } from "vitest";
import { cooldownNeedsHistory, firstLiveEntry, saleAfterBuy } from "../src/domain/copy-facts";

describe("copy facts from actor state (domain)", () => {
  const now = 1_800_000_000_000;

  it("a sale at or after the BUY on chain is found; one before it is not; a future-dated one counts when received", () => {
    const buy = { slot: 100, block_time_ms: now - 10_000 };
    const before = { signature: "before", slot: 99, block_time_ms: now - 20_000, received_ms: now - 19_000 };
    const after = { signature: "after", slot: 101, block_time_ms: now - 5_000, received_ms: now - 4_000 };
    expect(saleAfterBuy([before], buy)).toBeNull();
    expect(saleAfterBuy([before, after], buy)).toBe("after");
    // Dated an hour ahead but received before the BUY: taken as made when received, so not after it.
    const future = { signature: "future", slot: null, block_time_ms: now + 3_600_000, received_ms: now - 60_000 };
    expect(saleAfterBuy([future], { slot: null, block_time_ms: now - 10_000 })).toBeNull();
  });

  it("the first entry that still counts skips refused and dead orders, keeps unknown and in-flight ones", () => {
    const e = (id: string | null, usd: number | null) => ({ order_id: id, entry_usd: usd });
    const entries = [e("a", 50), e("b", 40), e(null, 30)];
    expect(firstLiveEntry(entries, { a: "cancelled", b: "dead" })).toEqual(e(null, 30));
    expect(firstLiveEntry(entries, { a: "dead", b: "pending" })).toEqual(e("b", 40));
    expect(firstLiveEntry(entries, { a: null })).toEqual(e("a", 50)); // an order the queue does not know
    expect(firstLiveEntry([e("x", null)], {})).toBeNull();
  });

  it("the cooldown needs the history when its window reaches before the book's close records", () => {
    const cool = 3600;
    expect(cooldownNeedsHistory({ closes_known_since_ms: now - 7_200_000, unknown_close_at_ms: null }, now, cool)).toBe(
      false,
    );
    expect(cooldownNeedsHistory({ closes_known_since_ms: now - 60_000, unknown_close_at_ms: null }, now, cool)).toBe(
      true,
    );
    const old = { closes_known_since_ms: 0 };
    expect(cooldownNeedsHistory({ ...old, unknown_close_at_ms: now - 60_000 }, now, cool)).toBe(true);
    expect(cooldownNeedsHistory({ ...old, unknown_close_at_ms: now - 7_200_000 }, now, cool)).toBe(false);
  });
});
