import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import quoteDocs from "../../shared/fixtures/jupiter-swap-v1-quote.docs.json";
import quoteError from "../../shared/fixtures/jupiter-swap-v1-quote.error-400.captured.json";
import quoteOpenapi from "../../shared/fixtures/jupiter-swap-v1-quote.openapi-example.json";
import swapDocs from "../../shared/fixtures/jupiter-swap-v1-swap.response.docs.json";
import swapOpenapi from "../../shared/fixtures/jupiter-swap-v1-swap.response.openapi-example.json";
import { UpstreamError } from "../src/upstream/http";
import {
  fetchJupiterPrices,
  fetchJupiterPricesBatched,
  fetchQuote,
  fetchSwapTransaction,
  QuoteErrorSchema,
  QuoteSchema,
  SwapResponseSchema,
} from "../src/upstream/jupiter";
import { fake } from "./helpers/fake";

const SOL = "So11111111111111111111111111111111111111112";
const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

beforeEach(() => fake.reset());

describe("Jupiter fixtures", () => {
  it("parses the documented and OpenAPI quote, the captured no-route error and both swap responses", () => {
    expect(QuoteSchema.parse(quoteDocs).outAmount).toBe("16198753");
    expect(QuoteSchema.parse(quoteOpenapi).inputMint).toBeTruthy();
    expect(QuoteErrorSchema.parse(quoteError).errorCode).toBe("COULD_NOT_FIND_ANY_ROUTE");
    expect(SwapResponseSchema.parse(swapDocs).lastValidBlockHeight).toBe(279632475);
    expect(SwapResponseSchema.parse(swapOpenapi).swapTransaction).toMatch(/^AQAA/);
  });

  it("rejects a quote whose amounts are not integer strings", () => {
    expect(QuoteSchema.safeParse({ ...quoteDocs, outAmount: 16198753 }).success).toBe(false);
    expect(QuoteSchema.safeParse({ ...quoteDocs, inAmount: "1.5" }).success).toBe(false);
  });
});

describe("Jupiter client against the fake upstream", () => {
  it("prices: batched ≤ 50 ids per call, omitted mints absent, no api key header when unset", async () => {
    const mints = Array.from({ length: 60 }, (_, i) => `M${i}`.padEnd(44, "x"));
    await fake.tokens(...mints.slice(0, 59).map((m) => ({ mint: m, price_usd: 2 })));
    const out = await fetchJupiterPricesBatched(env, mints);
    expect(out.size).toBe(59);
    expect(out.has(mints[59] as string)).toBe(false);
    expect((await fake.calls())["jupiter.price"]).toBe(2);
    await expect(fetchJupiterPrices(env, mints)).rejects.toThrow(RangeError);
  });

  it("prices: an HTTP failure is a retryable UpstreamError naming jupiter", async () => {
    await fake.fail("jupiter.price", { status: 429 });
    const err = await fetchJupiterPrices(env, [SOL]).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: "jupiter", status: 429, retryable: true });
  });

  it("quote: returns the route, or a no-route answer (not a transport error) on a 400 errorCode", async () => {
    const ok = await fetchQuote(env, { inputMint: SOL, outputMint: USDC, amount: "1000000000", slippageBps: 50 });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(BigInt(ok.quote.outAmount)).toBeGreaterThan(0n);
    const none = await fetchQuote(env, { inputMint: SOL, outputMint: "Unknown1111", amount: "1000", slippageBps: 50 });
    expect(none).toEqual({ ok: false, error_code: "COULD_NOT_FIND_ANY_ROUTE", no_route: true });
    await expect(fetchQuote(env, { inputMint: SOL, outputMint: USDC, amount: "1.5", slippageBps: 50 })).rejects.toThrow(
      RangeError,
    );
  });

  it("swap: returns the unsigned transaction and its last valid block height", async () => {
    const q = await fetchQuote(env, { inputMint: SOL, outputMint: USDC, amount: "1000000", slippageBps: 50 });
    if (!q.ok) throw new Error("no quote");
    const swap = await fetchSwapTransaction(env, {
      userPublicKey: "BQ72nSv9f3PRyRKCBnHLVrerrv37CYTHm5h3s9VSGQDV",
      quoteResponse: q.quote,
    });
    expect(swap.swapTransaction.length).toBeGreaterThan(0);
    expect(swap.lastValidBlockHeight).toBeGreaterThan(0);
    const sent = (await fake.requests()).find((r) => r.route === "jupiter.swap");
    expect(sent?.body).toMatchObject({
      userPublicKey: "BQ72nSv9f3PRyRKCBnHLVrerrv37CYTHm5h3s9VSGQDV",
      wrapAndUnwrapSol: true,
    });
  });

  it("sends x-api-key only when JUPITER_API_KEY is set", async () => {
    // The fake records paths and bodies, not headers: check the header through a capturing fetch instead.
    const seen: (string | null)[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get("x-api-key"));
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      await fetchJupiterPrices({ ...env, JUPITER_API_KEY: "" }, [SOL]);
      await fetchJupiterPrices({ ...env, JUPITER_API_KEY: "k-123456" }, [SOL]);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(seen).toEqual([null, "k-123456"]);
  });
});
