// The WalletActor's pure decisions (src/domain/record-filter.ts, inbox-retry.ts, wallet-alarm.ts, entry-decision.ts,
// exit-decision.ts), without an actor.
import { describe, expect, it } from "vitest";
import { classify } from "../src/domain/classify";
import { entryRetryUntil, queueRefusal } from "../src/domain/entry-decision";
import { nothingToMirror, saleTimeSeconds } from "../src/domain/exit-decision";
import type { HeliusTx } from "../src/domain/helius-tx";
import { afterFailure, backoffMs, MAX_INBOX_ATTEMPTS } from "../src/domain/inbox-retry";
import { chainKey, filterDetail, parsePayload, recordFilter } from "../src/domain/record-filter";
import { nextAlarmAt } from "../src/domain/wallet-alarm";
import { addr, nativeBuy } from "./helpers/helius";

const wallet = addr();
const mint = addr();

function buyTx(timestampS: number): HeliusTx {
  const parsed = parsePayload(JSON.stringify(nativeBuy(wallet, mint, { sol: 1, tokens: 1000, timestamp: timestampS })));
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

describe("recordFilter", () => {
  const now = Date.now();
  const fresh = buyTx(Math.floor(now / 1000) - 5);

  it("passes a fresh BUY of an active leader on to its decision", () => {
    expect(recordFilter(fresh, classify(fresh, wallet), true, now, 60)).toBeNull();
  });
  it("filters an unreadable delivery as not_a_trade", () => {
    expect(recordFilter(null, null, true, now, 60)).toBe("not_a_trade");
  });
  it("filters a BUY of an inactive leader, and a stale BUY", () => {
    expect(recordFilter(fresh, classify(fresh, wallet), false, now, 60)).toBe("inactive_wallet");
    const old = buyTx(Math.floor(now / 1000) - 600);
    expect(recordFilter(old, classify(old, wallet), true, now, 60)).toBe("stale_signal");
  });
  it("filters a transaction that is no trade of this leader with the classification's reason", () => {
    const c = classify(fresh, addr()); // another wallet's swap
    expect(c.signal_type).toBe("other");
    expect(recordFilter(fresh, c, true, now, 60)).toBe(c.other_reason);
  });
});

describe("chainKey / filterDetail", () => {
  it("orders a trade on its mint's chain and anything unreadable on its own", () => {
    const t = nativeBuy(wallet, mint, { sol: 1, tokens: 10 });
    expect(chainKey("sigA", JSON.stringify(t), wallet)).toBe(`mint:${mint}`);
    expect(chainKey("sigB", "not json", wallet)).toBe("tx:sigB");
  });
  it("stores the detail and its numbers, nothing when neither is given", () => {
    expect(filterDetail(undefined, undefined)).toBeNull();
    expect(JSON.parse(filterDetail("why", { n: 2 }) as string)).toEqual({ detail: "why", n: 2 });
    expect(JSON.parse(filterDetail(undefined, { n: 2 }) as string)).toEqual({ n: 2 });
  });
});

describe("afterFailure", () => {
  it("backs off exponentially up to a minute", () => {
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(3)).toBe(4000);
    expect(backoffMs(20)).toBe(60_000);
    expect(afterFailure(0, 1000)).toEqual({ attempts: 1, park: false, next_attempt_ms: 2000 });
  });
  it("parks the row at MAX_INBOX_ATTEMPTS, due at once", () => {
    expect(afterFailure(MAX_INBOX_ATTEMPTS - 2, 0).park).toBe(false);
    expect(afterFailure(MAX_INBOX_ATTEMPTS - 1, 500)).toEqual({
      attempts: MAX_INBOX_ATTEMPTS,
      park: true,
      next_attempt_ms: 500,
    });
  });
});

describe("nextAlarmAt", () => {
  it("takes the soonest time owed, not before the minimum delay, and none when nothing is owed", () => {
    expect(nextAlarmAt([null, undefined], 1000, 50)).toBeNull();
    expect(nextAlarmAt([5000, null, 3000], 1000, 50)).toBe(3000);
    expect(nextAlarmAt([900], 1000, 50)).toBe(1050);
    expect(nextAlarmAt([2000], 1000, 5000)).toBe(6000);
  });
});

describe("entry decision", () => {
  it("retries an enqueue for max_signal_age_seconds after reception", () => {
    expect(entryRetryUntil(10_000, 30)).toBe(40_000);
  });
  it("turns a queue refusal with a known reason into the signal's filter, anything else into none", () => {
    expect(queueRefusal({ status: "cancelled", cancel_reason: "circuit_breaker" })).toBe("circuit_breaker");
    expect(queueRefusal({ status: "cancelled", cancel_reason: "no_such_reason" })).toBeNull();
    expect(queueRefusal({ status: "cancelled" })).toBeNull();
    expect(queueRefusal({ status: "pending", cancel_reason: "circuit_breaker" })).toBeNull();
  });
});

describe("exit decision", () => {
  it("trusts a block time up to the clock skew, takes a later one as the reception time", () => {
    expect(saleTimeSeconds(1000, 1_000_500)).toBe(1000);
    expect(saleTimeSeconds(1_000_000, 5_000_700)).toBe(5000);
  });
  it("a sale with nothing to mirror is filtered unless it cancelled in-flight entries", () => {
    expect(nothingToMirror(2, true)).toBeNull();
    expect(nothingToMirror(0, true)).toBe("no_open_position");
    expect(nothingToMirror(0, false)).toBe("inactive_wallet");
  });
});
