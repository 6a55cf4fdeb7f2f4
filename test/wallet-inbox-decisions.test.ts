// The WalletActor's pure decisions moved out in the second round of its split (src/domain/signal-verdict.ts,
// exit-decision.ts inboxRowOnSale, record-filter.ts classifyPayload, wallet-alarm.ts alarmAfterRun), without an actor.
import { describe, expect, it } from "vitest";
import { inboxRowOnSale } from "../src/domain/exit-decision";
import { classifyPayload } from "../src/domain/record-filter";
import { signalVerdict } from "../src/domain/signal-verdict";
import { alarmAfterRun, SAFETY_NET_MS } from "../src/domain/wallet-alarm";
import { addr, nativeBuy, sig } from "./helpers/helius";

describe("signalVerdict", () => {
  it("a reason filters the signal with its detail and the numbers it was decided on", () => {
    expect(signalVerdict("circuit_breaker", undefined, "open", { breaker_trigger: "loss" })).toEqual({
      filtered: true,
      filter_reason: "circuit_breaker",
      filter_detail: JSON.stringify({ detail: "open", breaker_trigger: "loss" }),
    });
    expect(signalVerdict("inactive_wallet", false)).toEqual({
      filtered: true,
      filter_reason: "inactive_wallet",
      filter_detail: null,
    });
  });
  it("a bare filtered flag keeps the signal filtered without touching its reason", () => {
    expect(signalVerdict(null, true, "ignored")).toEqual({ filtered: true });
  });
  it("neither leaves the verdict columns alone (a passed signal)", () => {
    expect(signalVerdict(null, false)).toEqual({});
    expect(signalVerdict(undefined, undefined)).toEqual({});
  });
});

describe("inboxRowOnSale", () => {
  const wallet = addr();
  const mint = addr();
  const sale = sig();
  const t = 1_700_000_000;
  const buyRow = (o: { mint?: string; timestamp?: number; slot?: number; buyer?: string }, decision?: object) => ({
    payload: JSON.stringify({
      ...nativeBuy(o.buyer ?? wallet, o.mint ?? mint, { sol: 1, tokens: 1000, timestamp: o.timestamp ?? t }),
      ...(o.slot !== undefined ? { slot: o.slot } : {}),
    }),
    decision: decision ? JSON.stringify(decision) : null,
  });
  const salePoint = { slot: 200, block_time_ms: (t + 10) * 1000 };

  it("cancels a BUY of the mint made before the sale on chain, and a tie (in doubt, follow the leader out)", () => {
    expect(inboxRowOnSale(buyRow({ slot: 100 }), wallet, mint, salePoint, sale)).toBe("cancel");
    expect(inboxRowOnSale(buyRow({ slot: 200, timestamp: t + 10 }), wallet, mint, salePoint, sale)).toBe("cancel");
  });
  it("keeps a BUY made after the sale, of another mint, or by someone else", () => {
    expect(inboxRowOnSale(buyRow({ slot: 300, timestamp: t + 20 }), wallet, mint, salePoint, sale)).toBe("keep");
    expect(inboxRowOnSale(buyRow({ mint: addr(), slot: 100 }), wallet, mint, salePoint, sale)).toBe("keep");
    expect(inboxRowOnSale(buyRow({ buyer: addr(), slot: 100 }), wallet, mint, salePoint, sale)).toBe("keep");
  });
  it("names a row this sale already cancelled as its own, and leaves one another sale cancelled", () => {
    const cancelled = (by: string) => ({ kind: "cancelled", reason: "leader_exited", by });
    expect(inboxRowOnSale(buyRow({ slot: 100 }, cancelled(sale)), wallet, mint, salePoint, sale)).toBe("own");
    expect(inboxRowOnSale(buyRow({ slot: 100 }, cancelled(sig())), wallet, mint, salePoint, sale)).toBe("keep");
  });
  it("keeps a payload that does not parse as a transaction", () => {
    expect(
      inboxRowOnSale({ payload: JSON.stringify({ nope: 1 }), decision: null }, wallet, mint, salePoint, sale),
    ).toBe("keep");
  });
});

describe("classifyPayload", () => {
  it("gives the transaction and its classification from the leader's side", () => {
    const wallet = addr();
    const mint = addr();
    const payload = JSON.stringify(nativeBuy(wallet, mint, { sol: 2, tokens: 500, timestamp: 1_700_000_000 }));
    const { tx, c } = classifyPayload(payload, wallet);
    expect(tx.timestamp).toBe(1_700_000_000);
    expect(c).toMatchObject({ signal_type: "buy", token_mint: mint });
  });
  it("throws on a payload that is not a transaction (the step fails and is retried, then parked)", () => {
    expect(() => classifyPayload(JSON.stringify({ nope: 1 }), addr())).toThrow();
    expect(() => classifyPayload("not json", addr())).toThrow();
  });
});

describe("alarmAfterRun", () => {
  const now = 1_000_000;
  const none = () => false;
  it("comes back for the soonest row no chain holds", () => {
    const rows = [
      { signature: "a", t: now + 100 },
      { signature: "b", t: now + 900 },
    ];
    expect(alarmAfterRun(rows, none, null, now, 50)).toBe(now + 100);
    expect(alarmAfterRun(rows, (s) => s === "a", null, now, 50)).toBe(now + 900);
  });
  it("comes back only after the safety net for rows chains hold, unless a free row is due sooner", () => {
    const rows = [{ signature: "a", t: now }];
    expect(alarmAfterRun(rows, () => true, null, now, 50)).toBe(now + SAFETY_NET_MS);
    expect(alarmAfterRun([...rows, { signature: "b", t: now + 200 }], (s) => s === "a", null, now, 50)).toBe(now + 200);
  });
  it("counts the signals owed to D1, never sooner than the minimum delay, and nothing owed sets no alarm", () => {
    expect(alarmAfterRun([], none, now + 3000, now, 50)).toBe(now + 3000);
    expect(alarmAfterRun([{ signature: "a", t: now - 10_000 }], none, null, now, 5000)).toBe(now + 5000);
    expect(alarmAfterRun([], none, null, now, 50)).toBeNull();
  });
});
