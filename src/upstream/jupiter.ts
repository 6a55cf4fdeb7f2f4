import { z } from "zod";
import { fetchJson, joinUrl, timeoutFrom, UpstreamError } from "./http";

/**
 * Jupiter client (../shared/fixtures/jupiter-notes.md): Price API v3 for the PriceFeed, Swap v1 quote and
 * swap for the live executor. `x-api-key` is sent only when JUPITER_API_KEY is set (keyless is 0.5 RPS).
 */
type JupiterEnv = Pick<Env, "JUPITER_API_URL" | "UPSTREAM_TIMEOUT_MS" | "JUPITER_API_KEY">;

/** Price v3 answers at most 50 ids per call. */
export const JUPITER_PRICE_MAX_IDS = 50;

const PriceEntrySchema = z
  .object({
    usdPrice: z.number(),
    blockId: z.number().int().nullable().optional(),
    decimals: z.number().int().optional(),
    priceChange24h: z.number().nullable().optional(),
    createdAt: z.string().optional(),
    liquidity: z.number().optional(),
  })
  .loose();
export const PriceV3Schema = z.record(z.string(), PriceEntrySchema);
export type PriceV3Response = z.infer<typeof PriceV3Schema>;

const headers = (env: JupiterEnv, extra: Record<string, string> = {}): Record<string, string> => ({
  accept: "application/json",
  ...(env.JUPITER_API_KEY ? { "x-api-key": env.JUPITER_API_KEY } : {}),
  ...extra,
});

/** Keeps positive finite prices of asked mints; a mint Jupiter omits has no reliable price (absent here). */
export function pricesFromV3(data: PriceV3Response, mints: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const mint of mints) {
    const p = data[mint]?.usdPrice;
    if (typeof p === "number" && Number.isFinite(p) && p > 0) out.set(mint, p);
  }
  return out;
}

/** One Price v3 call (≤ 50 mints). */
export async function fetchJupiterPrices(env: JupiterEnv, mints: readonly string[]): Promise<Map<string, number>> {
  if (mints.length > JUPITER_PRICE_MAX_IDS)
    throw new RangeError(`at most ${JUPITER_PRICE_MAX_IDS} mints per Jupiter price call`);
  if (mints.length === 0) return new Map();
  const url = `${joinUrl(env.JUPITER_API_URL, "/price/v3")}?ids=${mints.map(encodeURIComponent).join(",")}`;
  const { data } = await fetchJson({
    service: "jupiter",
    url,
    schema: PriceV3Schema,
    init: { headers: headers(env) },
    timeoutMs: timeoutFrom(env),
  });
  return pricesFromV3(data, mints);
}

/** Splits any number of mints into ≤ 50-id calls (in parallel). Any failed chunk fails the whole call. */
export async function fetchJupiterPricesBatched(
  env: JupiterEnv,
  mints: readonly string[],
): Promise<Map<string, number>> {
  const unique = [...new Set(mints)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += JUPITER_PRICE_MAX_IDS)
    chunks.push(unique.slice(i, i + JUPITER_PRICE_MAX_IDS));
  const maps = await Promise.all(chunks.map((c) => fetchJupiterPrices(env, c)));
  return new Map(maps.flatMap((m) => [...m]));
}

// ------------------------------------------------------------------ Swap v1 (live executor)

const SwapInfoSchema = z
  .object({
    ammKey: z.string(),
    label: z.string().optional(),
    inputMint: z.string(),
    outputMint: z.string(),
    inAmount: z.string(),
    outAmount: z.string(),
    feeAmount: z.string().optional(),
    feeMint: z.string().optional(),
  })
  .loose();

const intString = z.string().regex(/^\d+$/, "expected an integer string");

/** QuoteResponse: passed unchanged to /swap (real responses carry extra fields, hence `loose`). */
export const QuoteSchema = z
  .object({
    inputMint: z.string(),
    inAmount: intString,
    outputMint: z.string(),
    outAmount: intString,
    otherAmountThreshold: intString,
    swapMode: z.enum(["ExactIn", "ExactOut"]),
    slippageBps: z.number().int(),
    platformFee: z.object({ amount: z.string(), feeBps: z.number() }).loose().nullable().optional(),
    priceImpactPct: z.string(),
    routePlan: z.array(z.object({ swapInfo: SwapInfoSchema, percent: z.number(), bps: z.number().optional() }).loose()),
    contextSlot: z.number().optional(),
    timeTaken: z.number().optional(),
  })
  .loose();
export type JupiterQuote = z.infer<typeof QuoteSchema>;

/** The 400 body of a quote without a route (`COULD_NOT_FIND_ANY_ROUTE`, `TOKEN_NOT_TRADABLE`, …). */
export const QuoteErrorSchema = z.object({ error: z.string(), errorCode: z.string().optional() }).loose();

const NO_ROUTE_CODES = new Set([
  "COULD_NOT_FIND_ANY_ROUTE",
  "NO_ROUTES_FOUND",
  "TOKEN_NOT_TRADABLE",
  "ROUTE_PLAN_DOES_NOT_CONSUME_ALL_THE_AMOUNT",
]);

export type QuoteResult = { ok: true; quote: JupiterQuote } | { ok: false; error_code: string; no_route: boolean };

export interface QuoteParams {
  inputMint: string;
  outputMint: string;
  /** Raw integer amount (base units). */
  amount: string;
  slippageBps: number;
  swapMode?: "ExactIn" | "ExactOut";
}

/**
 * `GET /swap/v1/quote`. A 400 with an errorCode is an answer ("no route": the token is not sellable now),
 * not a transport error, so it is returned rather than thrown. `signal`: the caller's own budget (a simulated
 * fill gives up after ~1 s), not counted against Jupiter's breaker when it fires.
 */
export async function fetchQuote(
  env: JupiterEnv,
  p: QuoteParams,
  opts: { signal?: AbortSignal } = {},
): Promise<QuoteResult> {
  if (!/^\d+$/.test(p.amount)) throw new RangeError("amount must be an integer string of base units");
  const qs = new URLSearchParams({
    inputMint: p.inputMint,
    outputMint: p.outputMint,
    amount: p.amount,
    slippageBps: String(p.slippageBps),
    swapMode: p.swapMode ?? "ExactIn",
  });
  const { status, data } = await fetchJson({
    service: "jupiter",
    url: `${joinUrl(env.JUPITER_API_URL, "/swap/v1/quote")}?${qs}`,
    schema: z.union([QuoteSchema, QuoteErrorSchema]),
    init: { headers: headers(env) },
    timeoutMs: timeoutFrom(env),
    acceptStatuses: [400],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (status === 400 || !("outAmount" in data)) {
    const code = "errorCode" in data && typeof data.errorCode === "string" ? data.errorCode : "UNKNOWN";
    return { ok: false, error_code: code, no_route: NO_ROUTE_CODES.has(code) };
  }
  return { ok: true, quote: data as JupiterQuote };
}

export const SwapResponseSchema = z
  .object({
    swapTransaction: z.string().min(1),
    lastValidBlockHeight: z.number().int(),
    prioritizationFeeLamports: z.number().optional(),
    computeUnitLimit: z.number().optional(),
    simulationError: z.object({ errorCode: z.string().optional(), error: z.string().optional() }).loose().nullish(),
  })
  .loose();
export type SwapResponse = z.infer<typeof SwapResponseSchema>;

/** A 200 from /swap whose own simulation failed: never sign it. Carries Jupiter's code for the failure policy. */
export class JupiterSimulationError extends UpstreamError {
  readonly errorCode: string | undefined;
  readonly simulationMessage: string | undefined;
  constructor(e: { errorCode?: string; error?: string }) {
    super("jupiter", "http", `swap simulation failed: ${e.errorCode ?? "unknown"}`, { status: 200, retryable: false });
    this.errorCode = e.errorCode;
    // Jupiter's own message (program logs summary): public chain data, kept for classification only.
    this.simulationMessage = e.error?.slice(0, 300);
  }
}

/** How the priority fee is asked for (config `priority_fee_mode`, `priority_fee_lamports`, `priority_fee_max_lamports`). */
export type PriorityFee = { mode: "fixed"; lamports: number } | { mode: "auto"; max_lamports: number };

/** The documented `prioritizationFeeLamports` forms: an integer, or Jupiter's estimate capped. */
export const prioritizationFeeOf = (fee: PriorityFee) =>
  fee.mode === "fixed"
    ? fee.lamports
    : { priorityLevelWithMaxLamports: { priorityLevel: "veryHigh", maxLamports: fee.max_lamports } };

/**
 * `POST /swap/v1/swap`: an unsigned base64 VersionedTransaction for the quote, paid by `userPublicKey`
 * (the trading wallet). A 200 can still carry a `simulationError`; that is thrown as a
 * JupiterSimulationError (not retryable as is) so the caller never signs it.
 */
export async function fetchSwapTransaction(
  env: JupiterEnv,
  body: { userPublicKey: string; quoteResponse: JupiterQuote; priorityFee?: PriorityFee },
): Promise<SwapResponse> {
  const { data } = await fetchJson({
    service: "jupiter",
    url: joinUrl(env.JUPITER_API_URL, "/swap/v1/swap"),
    schema: SwapResponseSchema,
    init: {
      method: "POST",
      headers: headers(env, { "content-type": "application/json" }),
      body: JSON.stringify({
        userPublicKey: body.userPublicKey,
        quoteResponse: body.quoteResponse,
        wrapAndUnwrapSol: true,
        dynamicComputeUnitLimit: true,
        prioritizationFeeLamports: prioritizationFeeOf(body.priorityFee ?? { mode: "auto", max_lamports: 1_000_000 }),
      }),
    },
    timeoutMs: timeoutFrom(env),
  });
  if (data.simulationError) throw new JupiterSimulationError(data.simulationError);
  return data;
}
