import { env } from "cloudflare:workers";
import { getBase64Encoder, getCompiledTransactionMessageDecoder, getTransactionDecoder } from "@solana/kit";
import { beforeEach, describe, expect, it } from "vitest";
import swapRequest from "../../shared/fixtures/jupiter-swap-v1-swap.request.openapi-example.json";
import swapDocs from "../../shared/fixtures/jupiter-swap-v1-swap.response.docs.json";
import { retryAfterOf, UpstreamError } from "../src/upstream/http";
import {
  fetchQuote,
  fetchSwapTransaction,
  JupiterSimulationError,
  prioritizationFeeOf,
  SwapResponseSchema,
} from "../src/upstream/jupiter";
import { fake } from "./helpers/fake";

/** Issue 11: the Jupiter swap client as the live executor uses it (priority fee, simulationError, 429 reset). */
const SOL = "So11111111111111111111111111111111111111112";
const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const USER = "BQ72nSv9f3PRyRKCBnHLVrerrv37CYTHm5h3s9VSGQDV";

beforeEach(() => fake.reset());

async function quote() {
  const q = await fetchQuote(env, { inputMint: SOL, outputMint: USDC, amount: "1000000", slippageBps: 300 });
  if (!q.ok) throw new Error("no quote");
  return q.quote;
}

describe("Jupiter swap client", () => {
  it("priority fee: auto = Jupiter's estimate capped (the documented request shape), fixed = an integer", async () => {
    expect(prioritizationFeeOf({ mode: "auto", max_lamports: 1_000_000 })).toEqual(
      swapRequest.prioritizationFeeLamports,
    );
    expect(prioritizationFeeOf({ mode: "fixed", lamports: 42_000 })).toBe(42_000);
    const q = await quote();
    expect(q.slippageBps).toBe(300);
    expect(q.inAmount).toBe("1000000");
    await fetchSwapTransaction(env, {
      userPublicKey: USER,
      quoteResponse: q,
      priorityFee: { mode: "fixed", lamports: 42_000 },
    });
    await fetchSwapTransaction(env, {
      userPublicKey: USER,
      quoteResponse: q,
      priorityFee: { mode: "auto", max_lamports: 7_000 },
    });
    const bodies = (await fake.requests()).filter((r) => r.route === "jupiter.swap").map((r) => r.body);
    expect(bodies[0]).toMatchObject({ userPublicKey: USER, prioritizationFeeLamports: 42_000, quoteResponse: q });
    expect(bodies[1]).toMatchObject({
      prioritizationFeeLamports: { priorityLevelWithMaxLamports: { priorityLevel: "veryHigh", maxLamports: 7_000 } },
    });
  });

  it("the fake answers a real unsigned v0 transaction paid by userPublicKey (the documented response shape)", async () => {
    const swap = await fetchSwapTransaction(env, { userPublicKey: USER, quoteResponse: await quote() });
    expect(Object.keys(SwapResponseSchema.parse(swapDocs))).toEqual(
      expect.arrayContaining(Object.keys(swap).filter((k) => k in swapDocs)),
    );
    const tx = getTransactionDecoder().decode(getBase64Encoder().encode(swap.swapTransaction));
    expect(Object.keys(tx.signatures)).toEqual([USER]);
    expect(tx.signatures[USER as keyof typeof tx.signatures]).toBeNull(); // unsigned
    const msg = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
    expect(msg.version).toBe(0);
    expect(msg.staticAccounts[0]).toBe(USER);
    expect(swap.lastValidBlockHeight).toBe((await fake.chain()).block_height + 150);
  });

  it("a simulationError in a 200 is a typed failure carrying Jupiter's code (never returned as a usable swap)", async () => {
    await fake.swapScript({
      simulation_errors: [{ errorCode: "TRANSACTION_ERROR", error: "custom program error: 0x1771" }],
    });
    const err = await fetchSwapTransaction(env, { userPublicKey: USER, quoteResponse: await quote() }).catch((e) => e);
    expect(err).toBeInstanceOf(JupiterSimulationError);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.errorCode).toBe("TRANSACTION_ERROR");
    expect(err.simulationMessage).toContain("0x1771");
    expect(err.retryable).toBe(false);
  });

  it("a 429 carries the wait the upstream asked for (Retry-After or x-ratelimit-reset)", async () => {
    expect(retryAfterOf(new Headers({ "retry-after": "3" }))).toBe(3000);
    expect(retryAfterOf(new Headers({ "x-ratelimit-reset": "1.5" }))).toBe(1500);
    expect(retryAfterOf(new Headers({ "retry-after": "99999" }))).toBeUndefined();
    expect(retryAfterOf(new Headers())).toBeUndefined();
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () =>
      new Response('{"error":"Too Many Requests"}', { status: 429, headers: { "retry-after": "2" } })) as typeof fetch;
    try {
      const err = await fetchQuote(env, { inputMint: SOL, outputMint: USDC, amount: "1", slippageBps: 50 }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 2000 });
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
