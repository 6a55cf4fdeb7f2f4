import "../src/index"; // start-up: isSecureContext for @solana/kit signing
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { LiveOrderIntent, LiveOrderState } from "../src/domain/live-order";
import worker from "../src/index";
import { collectStatus } from "../src/ops/status";
import {
  LiveExecutor,
  type LiveExecutorOptions,
  type LiveOrderPort,
  type LiveSettings,
  type LiveSizing,
} from "../src/pipeline/live-executor";
import { testAddress } from "./helpers/addresses";
import { fake } from "./helpers/fake";
import { newSolanaSecretKey } from "./helpers/keys";

/**
 * Issue 11: the LiveExecutor against the fake market (real unsigned v0 transactions from the fake Jupiter,
 * signatures verified by the fake RPC, scripted landing and block heights), with an in-memory port that
 * stores JSON (as the SwapQueue's SQLite would) and can crash before or after committing a given state.
 * Time is a virtual clock: sleeping advances it, nothing waits on the wall clock.
 */
const WSOL = "So11111111111111111111111111111111111111112";
const TOKEN = testAddress(240, 1);
const KEY = await newSolanaSecretKey(); // the canary: checked against every log line, state and D1 row below
const liveEnv = { ...env, WALLET_PRIVATE_KEY: KEY.secret } as Env;
const SIZING_BUY: LiveSizing = { side: "buy", sol_price_usd: 150 };

const settings = (over: Partial<LiveSettings> = {}): LiveSettings => ({
  slippage_bps: 300,
  max_slippage_bps: 1000,
  max_swap_retries: 3,
  priority_fee: { mode: "auto", max_lamports: 1_000_000 },
  skip_preflight: false,
  live_trading_enabled: true,
  sol_fee_reserve: 0.05,
  max_position_usd: 200,
  ...over,
});

type Crash = { when: (s: LiveOrderState) => boolean; commit: boolean };
class MemoryPort implements LiveOrderPort {
  saved: LiveOrderState[] = [];
  crash: Crash | null = null;
  async save(s: LiveOrderState) {
    const crash = this.crash?.when(s) ? this.crash : null;
    if (crash && !crash.commit) {
      this.crash = null;
      throw new Error("crash before the write committed");
    }
    this.saved.push(JSON.parse(JSON.stringify(s))); // storage keeps JSON only
    if (crash) {
      this.crash = null;
      throw new Error("crash after the write committed");
    }
  }
  get last(): LiveOrderState | null {
    return this.saved.at(-1) ?? null;
  }
}

function virtualClock(start = 1_800_000_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

let n = 0;
const intent = (over: Partial<LiveOrderIntent> = {}): LiveOrderIntent => ({
  order_id: `live-${++n}`,
  side: "buy",
  purpose: "entry",
  token_mint: TOKEN,
  amount: "100000000", // 0.1 SOL
  ...over,
});

function executor(port: LiveOrderPort, clock = virtualClock(), over: Partial<LiveExecutorOptions> = {}) {
  return new LiveExecutor({ env: liveEnv, port, clock, settings: settings(), ...over });
}

const statuses = (p: MemoryPort) => p.saved.map((s) => `${s.attempt}:${s.status}`);
const landedSwaps = async () => Object.values((await fake.swaps()).landed);
const quoteCalls = async () => (await fake.requests()).filter((r) => r.route === "jupiter.quote");

const logLines: string[] = [];
beforeAll(() => {
  for (const m of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
});

beforeEach(async () => {
  await fake.reset();
  await fake.tokens({ mint: TOKEN, price_usd: 0.001, decimals: 6, symbol: "MEME" });
  await fake.wallet({ address: KEY.address, lamports: 2_000_000_000, token_accounts: [] });
});

describe("live executor: a BUY and a SELL land, the fill comes from the confirmed transaction", () => {
  it("BUY: pending → quoted → signed → submitted → executed; the fake verified the signature; fill = balance changes, not the quote", async () => {
    await fake.swapScript({ land: [{ outcome: "land", fill_factor: 0.97, pending_polls: 2 }] });
    const port = new MemoryPort();
    const clock = virtualClock();
    const r = await executor(port, clock).start(intent(), SIZING_BUY);
    expect(r.kind).toBe("done");
    const s = r.state;
    expect(s.status).toBe("executed");
    // every state was stored, in order: pending (intent), pending (sized), quoted, signed, submitted…, executed
    expect([...new Set(statuses(port))]).toEqual(["1:pending", "1:quoted", "1:signed", "1:submitted", "1:executed"]);
    expect(port.saved[1]?.sized_amount).toBe("100000000");
    // the signature was stored (signed) before the first send (submitted)
    const signedAt = port.saved.findIndex((x) => x.status === "signed");
    const firstSent = port.saved.findIndex((x) => x.status === "submitted");
    expect(signedAt).toBeGreaterThan(0);
    expect(firstSent).toBeGreaterThan(signedAt);
    expect(port.saved[signedAt]?.signature).toBe(s.signature);
    // timings: every status reached, in order
    const t = s.timings;
    for (const [a, b] of [
      ["pending", "quoted"],
      ["quoted", "signed"],
      ["signed", "submitted"],
      ["submitted", "executed"],
    ] as const)
      expect(t[a] as number).toBeLessThanOrEqual(t[b] as number);

    const chain = await fake.chain();
    const accepted = Object.values(chain.landed);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.signature).toBe(s.signature);
    expect(accepted[0]?.fee_payer).toBe(KEY.address);
    expect(chain.rejectedSends).toBe(0);

    const [landed] = await landedSwaps();
    const quotedOut = Number(s.quoted_out_amount);
    expect(Number(s.fill?.token_amount)).toBe(Math.floor(quotedOut * 0.97));
    expect(BigInt(s.fill?.token_amount as string)).toBe(
      BigInt(landed?.post_token as string) - BigInt(landed?.pre_token as string),
    );
    expect(s.fill?.token_amount).not.toBe(s.quoted_out_amount);
    expect(s.fill?.sol_lamports).toBe(String(100_000_000 + (landed?.fee as number)));
    expect(s.fill?.fee_lamports).toBe(landed?.fee);
    expect(s.fill?.token_decimals).toBe(6);
    // the quote asked for the configured slippage with string amounts; the swap for the capped auto priority fee
    const q = (await quoteCalls())[0];
    expect(q?.path).toBe("/swap/v1/quote");
    const swapReq = (await fake.requests()).find((x) => x.route === "jupiter.swap");
    expect(swapReq?.body).toMatchObject({
      userPublicKey: KEY.address,
      prioritizationFeeLamports: {
        priorityLevelWithMaxLamports: { priorityLevel: "veryHigh", maxLamports: 1_000_000 },
      },
      quoteResponse: { inputMint: WSOL, outputMint: TOKEN, inAmount: "100000000" },
    });
  });

  it("SELL: sells what the wallet really holds (within 2 % of the records: Token-2022 fees); fill = SOL received net of fees", async () => {
    await fake.wallet({
      address: KEY.address,
      lamports: 1_000_000_000,
      token_accounts: [{ mint: TOKEN, amount: "1000000000", decimals: 6 }],
    });
    const port = new MemoryPort();
    const r = await new LiveExecutor({
      env: liveEnv,
      port,
      clock: virtualClock(),
      settings: settings({ priority_fee: { mode: "fixed", lamports: 50_000 } }),
    }).start(intent({ side: "sell", purpose: "exit", amount: "990000000" }), {
      side: "sell",
      recorded_amount: "990000000",
    });
    expect(r.state.status).toBe("executed");
    expect(r.state.sized_amount).toBe("1000000000"); // the real holding, not the record
    const [landed] = await landedSwaps();
    expect(landed?.terms.input_mint).toBe(TOKEN);
    expect(r.state.fill?.token_amount).toBe("1000000000");
    const received = BigInt(landed?.post_lamports as number) - BigInt(landed?.pre_lamports as number);
    expect(r.state.fill?.sol_lamports).toBe(received.toString());
    expect(received).toBe(BigInt(landed?.terms.out_amount as string) - BigInt(landed?.fee as number));
    const swapReq = (await fake.requests()).find((x) => x.route === "jupiter.swap");
    expect(swapReq?.body).toMatchObject({ prioritizationFeeLamports: 50_000 });
  });
});

describe("live executor: a crash at each of five points ends with exactly one transaction accepted", () => {
  const points: [string, Crash | "none-stored"][] = [
    ["before the intent is stored", { when: (s) => s.status === "pending", commit: false }],
    ["after the intent is stored", { when: (s) => s.status === "pending", commit: true }],
    ["after signing (signature stored, nothing sent)", { when: (s) => s.status === "signed", commit: true }],
    ["after the send", { when: (s) => s.status === "submitted", commit: true }],
    ["after confirmation, before it is stored", { when: (s) => s.status === "executed", commit: false }],
    ["after confirmation, stored", { when: (s) => s.status === "executed", commit: true }],
  ];
  for (const [name, crash] of points)
    it(`crash ${name}: resumed from the stored state, one signature, one landed transaction`, async () => {
      await fake.swapScript({ land: [{ outcome: "land", pending_polls: 1 }] });
      const port = new MemoryPort();
      port.crash = crash as Crash;
      const clock = virtualClock();
      const order = intent();
      await expect(executor(port, clock).start(order, SIZING_BUY)).rejects.toThrow(/crash/);
      // the process died: a new executor (a new isolate) resumes from what storage holds
      const stored = port.last;
      const r = stored
        ? await executor(port, clock).run(stored, SIZING_BUY)
        : await executor(port, clock).start(order, SIZING_BUY);
      expect(r.kind).toBe("done");
      expect(r.state.status).toBe("executed");
      const chain = await fake.chain();
      expect(Object.keys(chain.landed)).toHaveLength(1); // one signature ever sent
      expect((await landedSwaps()).filter((l) => l.outcome === "land")).toHaveLength(1);
      expect(Object.keys(chain.landed)[0]).toBe(r.state.signature);
      // signed at most once while the blockhash could land
      expect((await fake.swaps()).built).toBe(1);
      // and the stored history never moved backwards
      const ranks = port.saved.map(
        (s) => s.attempt * 10 + ["pending", "quoted", "signed", "submitted", "executed"].indexOf(s.status),
      );
      expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    });
});

describe("live executor: unconfirmed, slippage, terminal errors, stuck exits, 429, guardrails", () => {
  it("an unconfirmed transaction is rebroadcast (same bytes), never re-signed before its blockhash expires, then expired and re-quoted", async () => {
    // first transaction never lands; the chain moves 40 blocks per height poll (lastValidBlockHeight = +150)
    await fake.swapScript({ land: [{ outcome: "drop" }, { outcome: "land" }] });
    const start = (await fake.chain()).block_height;
    await fake.blockHeight(start, 40);
    const port = new MemoryPort();
    const r = await executor(port).start(intent(), SIZING_BUY);
    expect(r.state.status).toBe("executed");
    expect(r.state.attempt).toBe(2);
    expect(r.state.attempts.map((a) => a.outcome)).toEqual(["expired", "executed"]);
    const first = r.state.attempts[0]?.signature as string;
    const chain = await fake.chain();
    expect(chain.landed[first]?.outcome).toBe("dropped");
    expect(chain.landed[first]?.sends).toBeGreaterThan(1); // rebroadcast
    // while attempt 1 could land, only its signature was ever sent: attempt 2 was signed after expiry
    const attempt1 = port.saved.filter((s) => s.attempt === 1 && s.signature);
    expect(new Set(attempt1.map((s) => s.signature))).toEqual(new Set([first]));
    const expiredAt = port.saved.findIndex((s) => s.attempt === 2);
    expect(port.saved.slice(0, expiredAt).some((s) => s.height_passed_at !== null)).toBe(true);
    expect((await quoteCalls()).length).toBe(2);
    expect(Object.values(chain.landed).filter((t) => t.outcome === "landed")).toHaveLength(1);
  });

  it("with no re-quote left, an expired order ends `expired`", async () => {
    await fake.swapScript({ land: [{ outcome: "drop" }] });
    await fake.blockHeight((await fake.chain()).block_height, 60);
    const port = new MemoryPort();
    const r = await new LiveExecutor({
      env: liveEnv,
      port,
      clock: virtualClock(),
      settings: settings({ max_swap_retries: 0 }),
    }).start(intent(), SIZING_BUY);
    expect(r.state.status).toBe("expired");
    expect(r.state.terminal_reason).toMatch(/^EXPIRED/);
    expect((await fake.swaps()).built).toBe(1);
  });

  it("slippage errors re-quote at a higher slippage, never above max_slippage_bps, at most max_swap_retries", async () => {
    // landed failed with Jupiter's 6001, then a simulation slippage error, then success
    await fake.swapScript({
      land: [{ outcome: "fail", err: { InstructionError: [2, { Custom: 6001 }] } }, { outcome: "land" }],
      simulation_errors: [],
    });
    const port = new MemoryPort();
    const r = await new LiveExecutor({
      env: liveEnv,
      port,
      clock: virtualClock(),
      settings: settings({ max_slippage_bps: 400 }),
    }).start(intent(), SIZING_BUY);
    expect(r.state.status).toBe("executed");
    const slips = (await quoteCalls()).map((q) =>
      Number(new URL(`http://x${q.path}`).searchParams.get("slippageBps") ?? 0),
    );
    // the fake records the path only: read slippage from the stored attempts instead
    expect(r.state.attempts.map((a) => a.slippage_bps)).toEqual([300, 400]);
    expect(slips.length).toBe(2);

    // at the cap: the next slippage failure is terminal, no more quotes
    await fake.reset();
    await fake.tokens({ mint: TOKEN, price_usd: 0.001, decimals: 6 });
    await fake.wallet({ address: KEY.address, lamports: 2_000_000_000 });
    await fake.swapScript({
      simulation_errors: [
        { errorCode: "TRANSACTION_ERROR", error: "custom program error: 0x1771" },
        { errorCode: "TRANSACTION_ERROR", error: "custom program error: 0x1771" },
      ],
    });
    const capped = await new LiveExecutor({
      env: liveEnv,
      port: new MemoryPort(),
      clock: virtualClock(),
      settings: settings({ slippage_bps: 300, max_slippage_bps: 400 }),
    }).start(intent(), SIZING_BUY);
    expect(capped.state.status).toBe("failed");
    expect(capped.state.terminal_reason).toMatch(
      /SLIPPAGE_TOLERANCE_EXCEEDED: slippage already at max_slippage_bps \(400\)/,
    );
    expect(capped.state.attempts.map((a) => a.slippage_bps)).toEqual([300, 400]);
    expect((await quoteCalls()).length).toBe(2);
    expect(Object.keys((await fake.chain()).landed)).toHaveLength(0); // a failed simulation is never signed or sent

    // max_swap_retries = 1: one re-quote, then terminal even below the cap
    await fake.swapScript({
      simulation_errors: [{ errorCode: "SLIPPAGE_TOLERANCE_EXCEEDED" }, { errorCode: "SLIPPAGE_TOLERANCE_EXCEEDED" }],
    });
    const once = await new LiveExecutor({
      env: liveEnv,
      port: new MemoryPort(),
      clock: virtualClock(),
      settings: settings({ max_swap_retries: 1 }),
    }).start(intent(), SIZING_BUY);
    expect(once.state.status).toBe("failed");
    expect(once.state.requotes).toBe(1);
  });

  it("terminal errors do not retry: no route for an entry, insufficient funds (simulation, landed, or below the fee reserve), a fatal answer", async () => {
    const run = (over: Partial<LiveOrderIntent> = {}, sizing: LiveSizing = SIZING_BUY) =>
      executor(new MemoryPort()).start(intent(over), sizing);

    const noRoute = await run({ token_mint: testAddress(240, 2) });
    expect(noRoute.state.status).toBe("failed");
    expect(noRoute.state.terminal_reason).toMatch(/^COULD_NOT_FIND_ANY_ROUTE/);
    expect((await quoteCalls()).length).toBe(1);

    await fake.swapScript({
      simulation_errors: [{ errorCode: "INSUFFICIENT_FUNDS", error: "custom program error: 0x1798" }],
    });
    const poor = await run();
    expect(poor.state.status).toBe("failed");
    expect(poor.state.failure?.kind).toBe("insufficient_funds");
    expect((await fake.requests()).filter((r) => r.route === "jupiter.swap").length).toBe(1);

    await fake.swapScript({ land: [{ outcome: "fail", err: { InstructionError: [1, { Custom: 1 }] } }] });
    const landedPoor = await run();
    expect(landedPoor.state.status).toBe("failed");
    expect(landedPoor.state.terminal_reason).toMatch(/^INSUFFICIENT_FUNDS/);

    await fake.wallet({ address: KEY.address, lamports: 40_000_000 }); // 0.04 SOL < 0.05 reserve
    const before = (await quoteCalls()).length;
    const reserve = await run();
    expect(reserve.state.status).toBe("failed");
    expect(reserve.state.terminal_reason).toMatch(/INSUFFICIENT_FUNDS: .* fee reserve/);
    expect((await quoteCalls()).length).toBe(before); // refused before any Jupiter call

    await fake.wallet({ address: KEY.address, lamports: 2_000_000_000 });
    await fake.swapScript({ simulation_errors: [{ errorCode: "SOMETHING_ELSE" }] });
    const fatal = await run();
    expect(fatal.state.status).toBe("failed");
    expect(fatal.state.attempts).toHaveLength(1);
  });

  it("money limits: a BUY is capped by free SOL minus the reserve and by max_position_usd; a SELL more than 2 % off the records refuses", async () => {
    await fake.wallet({ address: KEY.address, lamports: 150_000_000 }); // 0.15 SOL, reserve 0.05 → 0.1 free
    const free = await executor(new MemoryPort()).start(intent({ amount: "500000000" }), SIZING_BUY);
    expect(free.state.sized_amount).toBe("100000000");
    expect(free.state.status).toBe("executed");

    await fake.wallet({ address: KEY.address, lamports: 10_000_000_000 });
    const usd = await new LiveExecutor({
      env: liveEnv,
      port: new MemoryPort(),
      clock: virtualClock(),
      settings: settings({ max_position_usd: 15 }),
    }).start(intent({ amount: "500000000" }), SIZING_BUY);
    expect(usd.state.sized_amount).toBe("100000000"); // $15 at $150/SOL

    await fake.wallet({ address: KEY.address, token_accounts: [{ mint: TOKEN, amount: "900000000", decimals: 6 }] });
    const before = (await quoteCalls()).length;
    const off = await executor(new MemoryPort()).start(intent({ side: "sell", purpose: "exit" }), {
      side: "sell",
      recorded_amount: "1000000000",
    });
    expect(off.state.status).toBe("failed");
    expect(off.state.terminal_reason).toMatch(/^HOLDING_MISMATCH/);
    expect((await quoteCalls()).length).toBe(before);
    expect(logLines.some((l) => l.includes("live_sell_refused"))).toBe(true);
  });

  it("a stuck exit (no route) is deferred with backoff, alerts once, and lands when the route comes back", async () => {
    await fake.prices({ [TOKEN]: null }); // no route
    await fake.wallet({ address: KEY.address, token_accounts: [{ mint: TOKEN, amount: "1000000", decimals: 6 }] });
    const port = new MemoryPort();
    const clock = virtualClock();
    const sizing: LiveSizing = { side: "sell", recorded_amount: "1000000" };
    const first = await executor(port, clock).start(intent({ side: "sell", purpose: "exit" }), sizing);
    expect(first.kind).toBe("deferred");
    if (first.kind !== "deferred") throw new Error("not deferred");
    expect(first.state.stuck).toBe(true);
    expect(first.not_before - clock.now()).toBe(30_000);
    clock.advance(30_000);
    const second = await executor(port, clock).run(port.last as LiveOrderState, sizing);
    expect(second.kind).toBe("deferred");
    if (second.kind !== "deferred") throw new Error("not deferred");
    expect(second.not_before - clock.now()).toBe(60_000); // backoff doubles
    expect(logLines.filter((l) => l.includes("live_exit_stuck")).length).toBeGreaterThanOrEqual(1);
    await fake.prices({ [TOKEN]: 0.001 });
    clock.advance(60_000);
    const done = await executor(port, clock).run(port.last as LiveOrderState, sizing);
    expect(done.state.status).toBe("executed");
    expect(done.state.stuck).toBe(false);
  });

  it("a run past its time budget while in flight is deferred (still submitted) and the next run confirms it, same signature", async () => {
    await fake.swapScript({ land: [{ outcome: "land", pending_polls: 4 }] });
    const port = new MemoryPort();
    const clock = virtualClock();
    const r = await executor(port, clock, { max_run_ms: 3000 }).start(intent(), SIZING_BUY);
    expect(r.kind).toBe("deferred");
    expect(r.state.status).toBe("submitted");
    const sig = r.state.signature;
    clock.advance(2000);
    const done = await executor(port, clock).run(port.last as LiveOrderState, SIZING_BUY);
    expect(done.state.status).toBe("executed");
    expect(done.state.signature).toBe(sig);
    expect((await fake.swaps()).built).toBe(1);
  });

  it("HTTP 429 waits for the reset (deferred, not failed), then the same step runs", async () => {
    await fake.fail("jupiter.quote", { status: 429, times: 1 });
    const port = new MemoryPort();
    const clock = virtualClock();
    const r = await executor(port, clock).start(intent(), SIZING_BUY);
    expect(r.kind).toBe("deferred");
    if (r.kind !== "deferred") throw new Error("not deferred");
    expect(r.reason).toBe("HTTP_429");
    expect(r.state.status).toBe("pending");
    clock.advance(r.not_before - clock.now());
    const done = await executor(port, clock).run(port.last as LiveOrderState, SIZING_BUY);
    expect(done.state.status).toBe("executed");
  });

  it("the token bucket: no token → deferred before the quote, nothing called; with a token the quote runs", async () => {
    let tokens = 0;
    const port = new MemoryPort();
    const clock = virtualClock();
    const take = () => {
      if (tokens === 0) return 7000;
      tokens--;
      return 0;
    };
    const r = await executor(port, clock, { takeSwapToken: take }).start(intent(), SIZING_BUY);
    expect(r.kind).toBe("deferred");
    expect((await quoteCalls()).length).toBe(0);
    tokens = 1;
    clock.advance(7000);
    const done = await executor(port, clock, { takeSwapToken: take }).run(port.last as LiveOrderState, SIZING_BUY);
    expect(done.state.status).toBe("executed");
    expect(tokens).toBe(0);
  });

  it("guardrails: a malformed or missing key, or the switch off for an entry, refuses with its reason before any call", async () => {
    for (const [key, reason] of [
      ["not-base58-canary-0", /WALLET_PRIVATE_KEY is not a base58 Solana secret key/],
      ["", /WALLET_PRIVATE_KEY is not configured/],
    ] as const) {
      const r = await new LiveExecutor({
        env: { ...liveEnv, WALLET_PRIVATE_KEY: key },
        port: new MemoryPort(),
        clock: virtualClock(),
        settings: settings(),
      }).start(intent(), SIZING_BUY);
      expect(r.state.status).toBe("failed");
      expect(r.state.terminal_reason).toMatch(reason);
      if (key) expect(JSON.stringify(r.state)).not.toContain(key);
    }
    const off = await new LiveExecutor({
      env: liveEnv,
      port: new MemoryPort(),
      clock: virtualClock(),
      settings: settings({ live_trading_enabled: false }),
    }).start(intent(), SIZING_BUY);
    expect(off.state.terminal_reason).toMatch(/^LIVE_OFF/);
    expect((await quoteCalls()).length).toBe(0);
    expect(await fake.calls()).not.toHaveProperty("jupiter.swap");
  });

  it("a swap transaction not paid by the trading wallet is never signed", async () => {
    const other = await newSolanaSecretKey();
    const r = await new LiveExecutor({
      env: liveEnv,
      port: new MemoryPort(),
      clock: virtualClock(),
      settings: settings(),
    }).start(intent(), SIZING_BUY);
    expect(r.state.status).toBe("executed"); // control: the fake pays with userPublicKey
    const { signSwapTransaction } = await import("../src/upstream/solana-swap");
    const { tradingWalletSigner } = await import("../src/lib/trading-wallet");
    const signer = await tradingWalletSigner(other.secret);
    if (!signer.ok) throw new Error("no signer");
    const swapReq = (await fake.requests()).find((x) => x.route === "jupiter.swap");
    const res = await env.FAKE_UPSTREAM.fetch("http://fake.upstream/swap/v1/swap", {
      method: "POST",
      body: JSON.stringify(swapReq?.body),
      headers: { "content-type": "application/json" },
    });
    const { swapTransaction } = (await res.json()) as { swapTransaction: string };
    await expect(signSwapTransaction(signer.signer, swapTransaction)).rejects.toThrow(
      /not paid and signed by the trading wallet/,
    );
  });
});

afterAll(async () => {
  // Canary: the trading key (and its seed) never reached a log line, a stored state, a status answer or D1.
  let status = JSON.stringify(await collectStatus(liveEnv));
  // and every operator answer that could mention the trading wallet (bodies and headers)
  for (const path of ["/api/v1/status", "/api/v1/config", "/api/v1/orders", "/api/v1/wallets", "/"]) {
    const res = await worker.fetch(
      new Request(`https://walltrack.test${path}`, { headers: { authorization: "Bearer test-operator-token" } }),
      liveEnv,
      createExecutionContext(),
    );
    status += `${JSON.stringify([...res.headers])} ${await res.text()}`;
  }
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'd1_%'",
  ).all<{ name: string }>();
  let dump = "";
  for (const t of tables.results)
    dump += JSON.stringify((await env.DB.prepare(`SELECT * FROM "${t.name}"`).all()).results);
  const fakeState = JSON.stringify(await fake.state());
  for (const canary of [KEY.secret, KEY.seed, "not-base58-canary-0"]) {
    for (const l of logLines) expect(l.includes(canary), `log line leaks the key: ${l.slice(0, 80)}`).toBe(false);
    expect(status.includes(canary)).toBe(false);
    expect(dump.includes(canary)).toBe(false);
    expect(fakeState.includes(canary)).toBe(false);
  }
  expect(logLines.some((l) => l.includes("live_order_executed"))).toBe(true);
  vi.restoreAllMocks();
});
