import { describe, expect, it } from "vitest";
import { applyExitFill } from "../src/domain/exit-rules";
import {
  exitsToRelease,
  filledState,
  fillInput,
  reopenedState,
  soldExternallyState,
  soldExternallyStep,
} from "../src/domain/position-close";
import { sellableResult } from "../src/domain/position-exits";
import { pollSchedule, pricedState, tickExitDetail, tickFailure, tickPosition } from "../src/domain/position-poll";
import {
  idempotencyKeyRefusal,
  manualReplayConflict,
  mirrorExitAnswer,
  strategyOverrideDecision,
} from "../src/domain/position-requests";
import { newPositionState, type PositionState } from "../src/domain/position-state";
import { DEFAULT_RULES } from "./helpers/strategies";

// The PositionActor's decisions that need no storage (issue 10), tested without a runtime.

const OPENED = Date.parse("2026-01-01T00:00:00.000Z");

function position(over: Partial<PositionState> = {}): PositionState {
  const st = newPositionState(
    {
      position_id: "p1",
      entry_order_id: "o1",
      wallet_id: 1,
      source_wallet_address: "Leader111",
      signal_id: 7,
      token_mint: "Mint111",
      token_decimals: 6,
      mode: "simulation",
      exit_strategy_id: 1,
      entry_price_usd: 2,
      entry_amount: "1000000000",
      entry_cost_usd: 2000,
    },
    { id: 1, rules: DEFAULT_RULES },
    OPENED,
  );
  return { ...st, ...over };
}

const none = () => ({ full: false, partial: 0n });
const formatIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");

describe("position poll", () => {
  it("the tick reads amounts as base units and the open time as epoch ms", () => {
    const t = tickPosition(position({ current_amount: "400", scaling_levels_hit: [2] }));
    expect(t).toMatchObject({ entry_amount: 1000000000n, current_amount: 400n, scaling_levels_hit: [2] });
    expect(t.opened_at_ms).toBe(OPENED);
  });

  it("a priced tick clears the error and records its levels by multiple", () => {
    const s = pricedState(
      { price_usd: 3, source: "jupiter", observed_at: "2026-01-01T00:01:00.000Z" },
      { peak_price_usd: 3.5, trailing_active: true, scaling_levels_hit: [2, 3] },
    );
    expect(s).toEqual({
      current_price_usd: 3,
      price_source: "jupiter",
      last_price_at: "2026-01-01T00:01:00.000Z",
      last_error: null,
      peak_price_usd: 3.5,
      trailing_active: true,
      scaling_levels_hit: [2, 3],
      scaling_levels_hit_format: "multiple",
    });
  });

  it("only a scaling exit's key carries its level", () => {
    expect(tickExitDetail({ reason: "scaling_out", level: 2 })).toBe("x2");
    expect(tickExitDetail({ reason: "stop_loss", level: undefined })).toBeUndefined();
  });

  it("the next poll is `seconds` after now", () => {
    expect(pollSchedule(OPENED, 30, "active")).toEqual({
      poll_interval_seconds: 30,
      poll_mode: "active",
      next_poll_at: "2026-01-01T00:00:30.000Z",
    });
  });

  it("a failed poll names its error", () => {
    expect(tickFailure(new Error("boom"))).toBe("tick failed: boom");
    expect(tickFailure("raw")).toBe("tick failed: raw");
  });
});

describe("position close", () => {
  it("a partial fill keeps the position open and never reads the close reason", () => {
    const st = position();
    const r = applyExitFill(fillInput(st, { sold_amount: "250000000", proceeds_usd: 750 }));
    const patch = filledState(r, "2026-01-02T00:00:00.000Z", () => {
      throw new Error("read on a partial fill");
    });
    expect(patch).toEqual({
      current_amount: "750000000",
      sold_amount: "250000000",
      exit_proceeds_usd: 750,
      realized_pnl_usd: 250,
      avg_exit_price_usd: 3,
    });
  });

  it("a fill of the rest closes with the first full exit's reason", () => {
    const st = position({ current_amount: "100" });
    const r = applyExitFill(fillInput(st, { sold_amount: "500", proceeds_usd: 1 }));
    expect(r.sold).toBe(100n); // capped by what remains
    expect(filledState(r, "2026-01-02T00:00:00.000Z", () => "stop_loss")).toMatchObject({
      current_amount: "0",
      status: "closed",
      closed_at: "2026-01-02T00:00:00.000Z",
      exit_reason: "stop_loss",
      next_poll_at: null,
    });
  });

  it("sold externally: repeat, refusals, and pending exits read only for an open position", () => {
    const throwing = () => {
      throw new Error("pending read");
    };
    expect(soldExternallyStep({ status: "closed", exit_reason: "sold_externally" }, throwing)).toBe("repeat");
    expect(soldExternallyStep({ status: "closed", exit_reason: "stop_loss" }, throwing)).toBe("already_closed");
    expect(soldExternallyStep({ status: "closing", exit_reason: null }, throwing)).toBe("not_open");
    expect(soldExternallyStep({ status: "open", exit_reason: null }, () => ({ full: false, partial: 1n }))).toBe(
      "exit_in_flight",
    );
    expect(soldExternallyStep({ status: "open", exit_reason: null }, () => ({ full: true, partial: 0n }))).toBe(
      "exit_in_flight",
    );
    expect(soldExternallyStep({ status: "open", exit_reason: null }, none)).toBe("close");
  });

  it("a close sold externally keeps the vanished amount apart and sells nothing", () => {
    expect(soldExternallyState({ current_amount: "42" }, "2026-01-03T00:00:00.000Z")).toEqual({
      sold_externally_amount: "42",
      current_amount: "0",
      status: "closed",
      closed_at: "2026-01-03T00:00:00.000Z",
      exit_reason: "sold_externally",
      next_poll_at: null,
    });
  });

  it("closing goes back to open, with a new key generation, only without a live full exit", () => {
    expect(reopenedState({ status: "closing", retry_gen: 2 }, none)).toEqual({ status: "open", retry_gen: 3 });
    expect(reopenedState({ status: "closing", retry_gen: 2 }, () => ({ full: true, partial: 0n }))).toBeNull();
    expect(reopenedState({ status: "open", retry_gen: 0 }, none)).toBeNull();
  });

  it("the watchdog releases queued exits the queue no longer holds as live or done", () => {
    const queued = [
      { order_id: "a", key: "p1:stop_loss" },
      { order_id: "b", key: "p1:manual:1" },
      { order_id: "c", key: "p1:mirror_exit:7" },
      { order_id: "d", key: "p1:scaling_out:x2" },
    ];
    expect(exitsToRelease(queued, { a: "pending", b: "cancelled", c: "done", d: "dead" })).toEqual([
      { orderId: "b", outcome: "cancelled", key: "p1:manual:1" },
      { orderId: "d", outcome: "dead", key: "p1:scaling_out:x2" },
    ]);
    // An order the queue never recorded is dead for the position.
    expect(exitsToRelease([{ order_id: "x", key: "k" }], {})).toEqual([{ orderId: "x", outcome: "dead", key: "k" }]);
  });
});

describe("position requests", () => {
  it("what an exit may sell: a partial capped by what remains, nothing once closed", () => {
    const st = position({ current_amount: "300" });
    expect(sellableResult(st, { order_id: "o2", full: false, amount: "500" })).toEqual({
      amount: "300",
      token_decimals: 6,
      token_mint: "Mint111",
      status: "open",
      remaining: "300",
    });
    expect(sellableResult(st, { order_id: "o2", full: false, amount: "100" }).amount).toBe("100");
    expect(sellableResult({ ...st, status: "closed" }, { order_id: "o2", full: true }).amount).toBe("0");
  });

  it("an Idempotency-Key is optional but must be printable ASCII without spaces", () => {
    expect(idempotencyKeyRefusal(undefined)).toBeNull();
    expect(idempotencyKeyRefusal("retry-1")).toBeNull();
    expect(idempotencyKeyRefusal("has space")).toMatchObject({ ok: false, code: "invalid" });
    expect(idempotencyKeyRefusal(12)).toMatchObject({ ok: false, code: "invalid" });
  });

  it("a replayed key with another percent is a conflict", () => {
    expect(manualReplayConflict(50, 50)).toBeNull();
    const c = manualReplayConflict(50, 25);
    expect(c).toMatchObject({ ok: false, code: "conflict" });
    expect(c?.detail).toContain("50 %");
    expect(c?.detail).toContain("25 %");
  });

  it("an override is merged with the template and validated", () => {
    const st = position();
    const ok = strategyOverrideDecision(st, { stop_loss_percent: 10 }, formatIssues);
    expect(ok).toMatchObject({ ok: true, override: { stop_loss_percent: 10 } });
    expect(ok.ok && ok.rules.stop_loss_percent).toBe(10);
    expect(ok.ok && ok.rules.mirror_exit_enabled).toBe(DEFAULT_RULES.mirror_exit_enabled);
    expect(strategyOverrideDecision(st, { no_such_rule: 1 }, formatIssues)).toMatchObject({
      ok: false,
      code: "invalid",
    });
    expect(strategyOverrideDecision({ ...st, status: "closed" }, {}, formatIssues)).toMatchObject({
      ok: false,
      code: "closed",
    });
    expect(strategyOverrideDecision({ ...st, template_rules: null }, {}, formatIssues)).toMatchObject({
      ok: false,
      code: "conflict",
    });
  });

  it("a mirror exit reports queued once the queue holds it, a retry while only decided", () => {
    expect(mirrorExitAnswer("p1", { state: "queued", order_id: "o9" })).toEqual({
      position_id: "p1",
      queued: true,
      order_id: "o9",
      reason: undefined,
    });
    expect(mirrorExitAnswer("p1", { state: "filled", order_id: "o9" }).queued).toBe(true);
    expect(mirrorExitAnswer("p1", { state: "decided", order_id: null })).toEqual({
      position_id: "p1",
      queued: false,
      order_id: undefined,
      reason: "enqueue_pending_retry",
    });
    expect(mirrorExitAnswer("p1", undefined)).toMatchObject({ queued: false, reason: undefined });
  });
});
