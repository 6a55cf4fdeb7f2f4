import { describe, expect, it } from "vitest";
import {
  classifyOnChainError,
  classifyQuoteError,
  classifySimulationError,
  classifyTransport,
  decideFailure,
  nextSlippageBps,
  stuckDelayMs,
} from "../src/domain/live-failure";
import { readFill } from "../src/domain/live-fill";
import {
  attemptEnded,
  executed,
  newLiveOrder,
  progress,
  quoted,
  sent,
  signed,
  sized,
  transitionAllowed,
} from "../src/domain/live-order";
import { liveSellAmount, liveSpendCap } from "../src/domain/live-sizing";

/** Issue 11's pure rules: the order state machine, the failure policy, the money limits, the fill. */
const intent = { order_id: "o1", side: "buy" as const, purpose: "entry" as const, token_mint: "M", amount: "1000" };
const policy = { slippage_bps: 300, max_slippage_bps: 1000, max_swap_retries: 3 };
const ctx = (over = {}) => ({
  purpose: "entry" as const,
  slippage_bps: 300,
  policy,
  requotes: 0,
  stuck_retries: 0,
  transient_retries: 0,
  ...over,
});

describe("live order state machine", () => {
  const p0 = newLiveOrder(intent, 300, 0);
  const p1 = sized(p0, "1000", 1);
  const q = quoted(p1, { outAmount: "5" }, "5", 2);
  const sg = signed(q, { signature: "SIG1", wire: "W", last_valid_block_height: 100 }, 3);
  const sub = sent(sg, 4);
  const done = executed(
    sub,
    {
      signature: "SIG1",
      slot: 1,
      block_time: null,
      token_amount: "5",
      token_decimals: 6,
      sol_lamports: "1005",
      fee_lamports: 5,
      quoted_out_amount: "5",
    },
    5,
  );

  it("moves forward only; terminal states are final; a signed attempt keeps its signature", () => {
    expect(transitionAllowed(null, p0)).toBe(true);
    expect(transitionAllowed(null, q)).toBe(false);
    for (const [a, b] of [
      [p0, p1],
      [p1, q],
      [q, sg],
      [sg, sub],
      [sub, sent(sub, 6)],
      [sub, done],
    ] as const)
      expect(transitionAllowed(a, b)).toBe(true);
    for (const [a, b] of [
      [q, p1],
      [sub, sg],
      [sub, q],
      [done, sub],
      [done, done],
    ] as const)
      expect(transitionAllowed(a, b), `${a.status} → ${b.status}`).toBe(false);
    expect(transitionAllowed(sub, { ...sub, signature: "OTHER" })).toBe(false);
    expect(transitionAllowed(p1, { ...p1, sized_amount: "2000" })).toBe(false);
    expect(() => quoted(sg, {}, "1", 9)).toThrow();
    expect(() => executed(q, done.fill as never, 9)).toThrow();
  });

  it("an expired or slipped attempt starts the next one (forward), until the retries are used up", () => {
    const next = attemptEnded(sub, "expired", policy, 300, 10);
    expect(next).toMatchObject({ status: "pending", attempt: 2, signature: null, requotes: 1, sized_amount: "1000" });
    expect(progress(next)).toBeGreaterThan(progress(sub));
    expect(transitionAllowed(sub, next)).toBe(true);
    expect(next.attempts.map((a) => a.outcome)).toEqual(["expired", null]);
    const exhausted = attemptEnded({ ...sub, requotes: 3 }, "expired", policy, 300, 10);
    expect(exhausted.status).toBe("expired");
    const slipCap = attemptEnded(sub, "slippage", policy, null, 10);
    expect(slipCap.status).toBe("failed");
  });
});

describe("live failure policy", () => {
  it("classifies Jupiter's and the chain's documented errors", () => {
    expect(classifyOnChainError({ InstructionError: [3, { Custom: 6001 }] }).kind).toBe("slippage");
    expect(classifyOnChainError({ InstructionError: [3, { Custom: 6017 }] }).kind).toBe("slippage");
    expect(classifyOnChainError({ InstructionError: [3, { Custom: 6024 }] }).kind).toBe("insufficient_funds");
    expect(classifyOnChainError({ InstructionError: [3, { Custom: 1n }] }).kind).toBe("insufficient_funds");
    expect(classifyOnChainError({ InstructionError: [0, "InsufficientFunds"] }).kind).toBe("insufficient_funds");
    expect(classifyOnChainError({ InstructionError: [3, { Custom: 6008 }] }).kind).toBe("fatal");
    expect(classifySimulationError({ errorCode: "X", error: "custom program error: 0x1771" }).kind).toBe("slippage");
    expect(classifySimulationError({ errorCode: "INSUFFICIENT_FUNDS" }).kind).toBe("insufficient_funds");
    expect(classifyQuoteError("COULD_NOT_FIND_ANY_ROUTE").kind).toBe("no_route");
    expect(classifyQuoteError("TOKEN_NOT_TRADABLE").kind).toBe("no_route");
    expect(classifyQuoteError("INVALID_AMOUNT").kind).toBe("fatal");
    expect(classifyTransport({ status: 429, retryable: true, message: "m", retry_after_ms: 1500 })).toMatchObject({
      kind: "rate_limited",
      retry_after_ms: 1500,
    });
    expect(classifyTransport({ status: 503, retryable: true, message: "m" }).kind).toBe("transient");
    expect(classifyTransport({ status: 400, retryable: false, message: "m" }).kind).toBe("fatal");
  });

  it("slippage re-quotes upward within the cap and the retry count; no route: entry terminal, exit stuck with growing backoff", () => {
    expect(nextSlippageBps(300, 1000)).toBe(450);
    expect(nextSlippageBps(900, 1000)).toBe(1000);
    expect(nextSlippageBps(1000, 1000)).toBeNull();
    expect(nextSlippageBps(20, 1000)).toBe(70);
    const slip = classifyOnChainError({ InstructionError: [0, { Custom: 6001 }] });
    expect(decideFailure(slip, ctx())).toEqual({ action: "requote", slippage_bps: 450 });
    expect(decideFailure(slip, ctx({ requotes: 3 })).action).toBe("fail");
    expect(decideFailure(slip, ctx({ slippage_bps: 1000 })).action).toBe("fail");
    const noRoute = classifyQuoteError("NO_ROUTES_FOUND");
    expect(decideFailure(noRoute, ctx()).action).toBe("fail");
    expect(decideFailure(noRoute, ctx({ purpose: "exit" }))).toEqual({ action: "stuck", delay_ms: 30_000 });
    expect(decideFailure(noRoute, ctx({ purpose: "exit", stuck_retries: 100 }))).toEqual({
      action: "stuck",
      delay_ms: stuckDelayMs(101),
    });
    expect(stuckDelayMs(101)).toBe(15 * 60_000);
    expect(decideFailure({ kind: "rate_limited", code: "HTTP_429", detail: "" }, ctx())).toEqual({
      action: "retry_same_step",
      delay_ms: 10_000,
    });
    expect(decideFailure({ kind: "insufficient_funds", code: "I", detail: "" }, ctx({ purpose: "exit" })).action).toBe(
      "fail",
    );
    // a flaky upstream never abandons an exit
    expect(
      decideFailure({ kind: "transient", code: "T", detail: "" }, ctx({ purpose: "exit", transient_retries: 50 }))
        .action,
    ).toBe("retry_same_step");
    expect(decideFailure({ kind: "transient", code: "T", detail: "" }, ctx({ transient_retries: 5 })).action).toBe(
      "fail",
    );
  });
});

describe("live money limits and fill", () => {
  const SOL = 1_000_000_000n;
  it("spend cap: free SOL minus the reserve, and max_position_usd", () => {
    const base = { wallet_lamports: 2n * SOL, sol_fee_reserve: 0.05, max_position_usd: 200, sol_price_usd: 100 };
    expect(liveSpendCap({ ...base, requested_lamports: SOL / 10n })).toEqual({
      ok: true,
      lamports: SOL / 10n,
      capped_by: "requested",
    });
    expect(liveSpendCap({ ...base, requested_lamports: 5n * SOL })).toMatchObject({
      lamports: 195n * (SOL / 100n),
      capped_by: "free_sol",
    });
    expect(liveSpendCap({ ...base, max_position_usd: 50, requested_lamports: SOL })).toMatchObject({
      lamports: SOL / 2n,
      capped_by: "max_position_usd",
    });
    const broke = liveSpendCap({ ...base, wallet_lamports: SOL / 20n, requested_lamports: SOL });
    expect(broke.ok).toBe(false);
    expect(liveSpendCap({ ...base, sol_price_usd: 0, requested_lamports: SOL }).ok).toBe(false);
  });

  it("sell amount: the real holding within 2 % of the records (exactly 2 % accepted), else refused", () => {
    expect(liveSellAmount({ recorded: 1000n, held: 1000n })).toEqual({ ok: true, amount: 1000n, adjusted: false });
    expect(liveSellAmount({ recorded: 1000n, held: 980n })).toEqual({ ok: true, amount: 980n, adjusted: true });
    expect(liveSellAmount({ recorded: 1000n, held: 1020n })).toEqual({ ok: true, amount: 1020n, adjusted: true });
    expect(liveSellAmount({ recorded: 1000n, held: 979n }).ok).toBe(false);
    expect(liveSellAmount({ recorded: 1000n, held: 0n }).ok).toBe(false);
    expect(liveSellAmount({ recorded: 1000n, held: 990n, fraction_of_recorded: 0.5 })).toEqual({
      ok: true,
      amount: 495n,
      adjusted: true,
    });
    // u64 amounts beyond 2^53 stay exact
    const big = 18_000_000_000_000_000_000n;
    expect(liveSellAmount({ recorded: big, held: big - 1n })).toEqual({ ok: true, amount: big - 1n, adjusted: true });
  });

  it("fill: the wallet's token change and lamport change (fees included), summed over its accounts of the mint", () => {
    const fill = readFill(
      {
        fee: 15000n,
        account_keys: ["W", "A1", "A2"],
        pre_lamports: [2_000_000_000n, 0n, 0n],
        post_lamports: [1_899_985_000n, 0n, 0n],
        pre_tokens: [{ mint: "M", owner: "W", amount: "10", decimals: 6 }],
        post_tokens: [
          { mint: "M", owner: "W", amount: "100", decimals: 6 },
          { mint: "M", owner: "W", amount: "5", decimals: 6 },
          { mint: "M", owner: "POOL", amount: "999", decimals: 6 },
        ],
      },
      "W",
      "M",
    );
    expect(fill).toEqual({ ok: true, token_delta: 95n, lamport_delta: -100_015_000n, fee: 15000n, decimals: 6 });
    expect(
      readFill(
        { fee: 0n, account_keys: ["X"], pre_lamports: [], post_lamports: [], pre_tokens: [], post_tokens: [] },
        "W",
        "M",
      ).ok,
    ).toBe(false);
  });
});
