/**
 * Fake upstream worker: serves Helius webhook management and parse-transactions, Jupiter Price v3 / quote /
 * swap, DexScreener, RugCheck and Solana JSON-RPC in their real shapes (../shared/fixtures), so the Worker under test never
 * reaches the network. Tests route every outbound fetch here (miniflare `outboundService`); the demo and
 * the benchmark run it beside `wrangler dev` and point the upstream URLs at it.
 *
 * Paths are distinct per upstream, so one host serves them all. A small control API under `/__fake/`
 * lets a test script prices and tokens, inject failures (HTTP status, timeout, malformed body) and read
 * how many calls each endpoint received.
 *
 * State is module-global: one isolate serves every request, and test files run one at a time.
 */

import {
  acceptTransaction,
  type ChainState,
  enhancedOf,
  FAKE_FEE_LAMPORTS,
  freshChain,
  type SendMode,
} from "./solana-chain";
import {
  blockhashOf,
  buildSwap,
  FAKE_SWAP_PRIORITY_FEE,
  freshSwaps,
  type LandScript,
  landSwap,
  type SwapState,
  swapStatus,
  swapTransaction,
} from "./solana-swaps";

const WSOL = "So11111111111111111111111111111111111111112";
const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
const SPL_CLASSIC_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";

/** One fake token: every upstream answers about it consistently. */
export interface FakeToken {
  mint: string;
  name?: string;
  symbol?: string;
  decimals?: number;
  /** USD price served by Jupiter Price v3; null = Jupiter omits the mint (no reliable price). */
  price_usd?: number | null;
  /** DexScreener price when it differs from Jupiter's (defaults to price_usd). null = no pair. */
  dex_price_usd?: number | null;
  liquidity_usd?: number;
  age_hours?: number;
  top10_holder_percent?: number;
  mint_authority?: string | null;
  freeze_authority?: string | null;
  rugged?: boolean;
  risk_level?: "none" | "warn" | "danger";
  token_program?: "token" | "token2022";
  transfer_fee_pct?: number;
  extensions?: string[];
  /** false = RugCheck answers 404 for this mint. */
  rugcheck?: boolean;
  /** Price impact (percent) of every Jupiter quote in or out of this token: its outAmount is that much lower. */
  quote_price_impact_pct?: number;
}

export interface FakeTokenAccount {
  mint: string;
  amount: string;
  decimals: number;
  program?: "token" | "token2022";
}

export interface FakeSignature {
  signature: string;
  slot: number;
  blockTime: number | null;
  err?: unknown;
  memo?: string | null;
}

export type FailureMode = "status" | "timeout" | "malformed";
export interface Failure {
  mode: FailureMode;
  status?: number;
  /** How many calls fail; -1 = until cleared. */
  times: number;
  delay_ms?: number;
}

interface Webhook {
  webhookID: string;
  wallet: string;
  webhookURL: string;
  transactionTypes: string[];
  accountAddresses: string[];
  webhookType: string;
  authHeader?: string;
  txnStatus?: string;
  encoding?: string;
}

interface State {
  tokens: Record<string, FakeToken>;
  balances: Record<string, number>;
  tokenAccounts: Record<string, FakeTokenAccount[]>;
  signatures: Record<string, FakeSignature[]>;
  signatureStatuses: Record<string, { confirmationStatus: string; err: unknown; slot: number } | null>;
  sentTransactions: string[];
  /** Enhanced transactions served by Helius parse-transactions, by signature. */
  enhancedTxs: Record<string, unknown>;
  webhooks: Record<string, Webhook>;
  failures: Record<string, Failure>;
  latency: Record<string, number>;
  calls: Record<string, number>;
  /** Verbatim JSON-RPC answers per method (e.g. a real fixture), served instead of the computed one. */
  rpcScripts: Record<string, unknown>;
  requests: { route: string; method: string; path: string; body?: unknown }[];
  blockHeight: number;
  nextWebhook: number;
  /** Transactions sent with verified signatures (test/fakes/solana-chain.ts). */
  chain: ChainState;
  /** HTTP requests received on the RPC path (a JSON-RPC batch is one request). */
  rpcHttpRequests: number;
  /** Jupiter swap transactions built, landed and scripted (test/fakes/solana-swaps.ts). */
  swaps: SwapState;
  /** What the fake Telegram Bot API and the fake notification webhook received, in order (raw body kept for signatures). */
  notifications: FakeNotification[];
}

/** One request received by the fake Telegram (`/bot<token>/sendMessage`) or the fake webhook receiver (`/notify/…`). */
export interface FakeNotification {
  route: "telegram.sendMessage" | "notify.webhook";
  path: string;
  /** Telegram: the bot token from the path. */
  token?: string;
  headers: Record<string, string>;
  raw: string;
  /** false when the scripted failure answered instead (the request still arrived). */
  accepted: boolean;
}

const freshState = (): State => ({
  tokens: {
    [WSOL]: {
      mint: WSOL,
      name: "Wrapped SOL",
      symbol: "SOL",
      decimals: 9,
      price_usd: 150,
      liquidity_usd: 5e8,
      age_hours: 40000,
    },
    [USDC]: {
      mint: USDC,
      name: "USD Coin",
      symbol: "USDC",
      decimals: 6,
      price_usd: 1,
      liquidity_usd: 5e8,
      age_hours: 40000,
    },
    [USDT]: {
      mint: USDT,
      name: "USDT",
      symbol: "USDT",
      decimals: 6,
      price_usd: 1,
      liquidity_usd: 5e8,
      age_hours: 40000,
    },
  },
  balances: {},
  tokenAccounts: {},
  signatures: {},
  signatureStatuses: {},
  sentTransactions: [],
  enhancedTxs: {},
  webhooks: {},
  failures: {},
  latency: {},
  calls: {},
  rpcScripts: {},
  requests: [],
  blockHeight: 250_000_000,
  nextWebhook: 1,
  chain: freshChain(),
  rpcHttpRequests: 0,
  notifications: [],
  swaps: freshSwaps(),
});

let state = freshState();

/**
 * Held routes: their requests wait until the test releases them (kept apart from `state`, which is JSON). A test
 * can then act while a caller is known to be blocked at that call — no timing involved.
 */
const holds = new Map<string, { waiting: number; released: boolean }>();
function releaseHold(route: string) {
  const hold = holds.get(route);
  if (hold) hold.released = true;
  holds.delete(route);
}

/** Real RPC nodes print u64::MAX as a bare JSON number (rentEpoch); JSON.stringify cannot, so splice it in. */
const U64_MAX = "__U64_MAX__";
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body).replaceAll(`"${U64_MAX}"`, "18446744073709551615"), {
    status,
    headers: { "content-type": "application/json" },
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts the call, applies scripted latency and failures. Returns a Response when the call must fail. */
async function gate(route: string, method: string, path: string, body?: unknown): Promise<Response | null> {
  state.calls[route] = (state.calls[route] ?? 0) + 1;
  state.requests.push({ route, method, path, body });
  if (state.requests.length > 500) state.requests.shift();
  const hold = holds.get(route);
  if (hold) {
    hold.waiting++;
    // Polled with a timer, not awaited on a promise another request resolves: workerd cancels continuations
    // resolved from a finished request's context and calls a request with no pending I/O hung.
    while (!hold.released) await sleep(5);
  }
  const latency = state.latency[route] ?? state.latency["*"];
  if (latency) await sleep(latency);
  const f = state.failures[route] ?? state.failures["*"];
  if (!f || f.times === 0) return null;
  if (f.times > 0) f.times -= 1;
  if (f.mode === "timeout") {
    await sleep(f.delay_ms ?? 10_000);
    return json({ error: "late answer" }, 504);
  }
  if (f.mode === "malformed")
    return new Response("{ this is not json", { status: 200, headers: { "content-type": "application/json" } });
  const status = f.status ?? 500;
  return json(status === 429 ? { error: "Too Many Requests" } : { error: `fake ${status}` }, status);
}

const tokenDefaults = (t: FakeToken) => ({
  name: t.name ?? `Token ${t.mint.slice(0, 4)}`,
  symbol: t.symbol ?? t.mint.slice(0, 4).toUpperCase(),
  decimals: t.decimals ?? 6,
  liquidity: t.liquidity_usd ?? 250_000,
  ageHours: t.age_hours ?? 72,
});

// ------------------------------------------------------------------ Jupiter
function jupiterPrice(url: URL): Response {
  const ids = (url.searchParams.get("ids") ?? "").split(",").filter(Boolean);
  if (ids.length === 0) return json({ error: "ids is required" }, 400);
  if (ids.length > 50) return json({ error: "Too many ids, max 50" }, 400);
  const out: Record<string, unknown> = {};
  for (const id of ids) {
    const t = state.tokens[id];
    if (!t || t.price_usd == null) continue; // absent = no reliable price (real v3 behaviour)
    out[id] = { usdPrice: t.price_usd, blockId: 348004026, decimals: tokenDefaults(t).decimals, priceChange24h: 1.29 };
  }
  return json(out);
}

function jupiterQuote(url: URL): Response {
  const inputMint = url.searchParams.get("inputMint") ?? "";
  const outputMint = url.searchParams.get("outputMint") ?? "";
  const amount = url.searchParams.get("amount") ?? "";
  const slippageBps = Number(url.searchParams.get("slippageBps") ?? 50);
  const tin = state.tokens[inputMint];
  const tout = state.tokens[outputMint];
  if (!/^\d+$/.test(amount))
    return json({ error: "amount must be an integer string", errorCode: "INVALID_AMOUNT" }, 400);
  if (!tin?.price_usd || !tout?.price_usd)
    return json({ error: "Could not find any route", errorCode: "COULD_NOT_FIND_ANY_ROUTE" }, 400);
  const din = tokenDefaults(tin).decimals;
  const dout = tokenDefaults(tout).decimals;
  const usd = (Number(amount) / 10 ** din) * tin.price_usd;
  const impactPct = (tin.quote_price_impact_pct ?? 0) + (tout.quote_price_impact_pct ?? 0);
  const outAmount = BigInt(Math.floor((usd / tout.price_usd) * 10 ** dout * (1 - impactPct / 100))).toString();
  const threshold = BigInt(Math.floor(Number(outAmount) * (1 - slippageBps / 10_000))).toString();
  return json({
    inputMint,
    inAmount: amount,
    outputMint,
    outAmount,
    otherAmountThreshold: threshold,
    swapMode: "ExactIn",
    slippageBps,
    platformFee: null,
    priceImpactPct: String(impactPct / 100),
    routePlan: [
      {
        swapInfo: {
          ammKey: "5BKxfWMbmYBAEWvyPZS9esPducUba9GqyMjtLCfbaqyF",
          label: "Meteora DLMM",
          inputMint,
          outputMint,
          inAmount: amount,
          outAmount,
        },
        percent: 100,
      },
    ],
    contextSlot: 299283763,
    timeTaken: 0.015,
    swapUsdValue: usd.toFixed(6),
  });
}

async function jupiterSwap(body: unknown): Promise<Response> {
  const b = body as {
    userPublicKey?: string;
    quoteResponse?: { inputMint?: string; outputMint?: string; inAmount?: string; outAmount?: string };
  } | null;
  if (!b?.userPublicKey || !b.quoteResponse)
    return json({ error: "userPublicKey and quoteResponse are required" }, 400);
  const q = b.quoteResponse;
  const simulationError = state.swaps.simulationErrors.shift() ?? null;
  let built: { wire: string; last_valid_block_height: number };
  try {
    // A real unsigned v0 transaction paid by userPublicKey (its signature slot empty): the executor signs it.
    built = await buildSwap(
      state.swaps,
      b.userPublicKey,
      {
        inputMint: String(q.inputMint),
        outputMint: String(q.outputMint),
        inAmount: String(q.inAmount),
        outAmount: String(q.outAmount),
      },
      state.blockHeight,
    );
  } catch {
    return json({ error: "invalid userPublicKey or quoteResponse", errorCode: "INVALID_REQUEST" }, 400);
  }
  return json({
    swapTransaction: built.wire,
    lastValidBlockHeight: built.last_valid_block_height,
    prioritizationFeeLamports: FAKE_SWAP_PRIORITY_FEE,
    computeUnitLimit: 388876,
    prioritizationType: { computeBudget: { microLamports: 25715, estimatedMicroLamports: 785154 } },
    simulationError,
  });
}

// ------------------------------------------------------------------ DexScreener
function dexTokens(path: string): Response {
  // Split on the literal separators first: an encoded `%2C` inside a mint is part of that mint.
  const list = path.slice("/tokens/v1/solana/".length).split(",").filter(Boolean).map(decodeURIComponent);
  if (list.length > 30) return json({ error: "max 30 addresses" }, 400);
  const pairs = [];
  for (const mint of list) {
    const t = state.tokens[mint];
    if (!t) continue;
    const price = t.dex_price_usd === undefined ? t.price_usd : t.dex_price_usd;
    if (price == null) continue;
    const d = tokenDefaults(t);
    pairs.push({
      chainId: "solana",
      dexId: "raydium",
      url: `https://dexscreener.com/solana/${mint.toLowerCase()}`,
      pairAddress: `pair${mint.slice(4)}`,
      labels: ["CPMM"],
      baseToken: { address: mint, name: d.name, symbol: d.symbol },
      quoteToken: { address: WSOL, name: "Wrapped SOL", symbol: "SOL" },
      priceNative: String(price / (state.tokens[WSOL]?.price_usd ?? 150)),
      priceUsd: String(price),
      txns: {
        m5: { buys: 1, sells: 0 },
        h1: { buys: 10, sells: 4 },
        h6: { buys: 93, sells: 48 },
        h24: { buys: 93, sells: 48 },
      },
      volume: { h24: 2201.67, h6: 2201.67, h1: 0, m5: 0 },
      priceChange: { h6: 31.43, h24: 31.43 },
      liquidity: { usd: d.liquidity, base: 343909, quote: 0.03828 },
      fdv: 14996,
      marketCap: 14996,
      pairCreatedAt: Date.now() - d.ageHours * 3_600_000,
      info: { imageUrl: "https://dd.dexscreener.com/ds-data/tokens/solana/x.png", websites: [], socials: [] },
    });
  }
  return json(pairs);
}

// ------------------------------------------------------------------ RugCheck
function rugcheckReport(mint: string, summary: boolean): Response {
  const t = state.tokens[mint];
  if (!t || t.rugcheck === false) return json({ error: "not found" }, 404);
  const d = tokenDefaults(t);
  const risks =
    t.risk_level === "danger"
      ? [
          {
            name: "Low Liquidity",
            value: "$0.41",
            description: "Low amount of liquidity in the token pool",
            score: 1990,
            level: "danger",
          },
        ]
      : t.risk_level === "warn"
        ? [
            {
              name: "Low amount of LP Providers",
              value: "",
              description: "Only a few users are providing liquidity",
              score: 500,
              level: "warn",
            },
          ]
        : [];
  const score = risks.reduce((s, r) => s + r.score, 1);
  const program = t.token_program === "token2022" ? TOKEN_2022_PROGRAM : SPL_CLASSIC_PROGRAM;
  if (summary)
    return json({
      tokenProgram: program,
      tokenType: "",
      risks,
      score,
      score_normalised: Math.min(100, Math.round(score / 70)),
      lpLockedPct: 0,
    });
  const top10 = t.top10_holder_percent ?? 35;
  const holders = Array.from({ length: 10 }, (_, i) => ({
    address: `holderAcct${i}${mint.slice(0, 8)}`,
    amount: 1_000_000,
    decimals: d.decimals,
    pct: top10 / 10,
    uiAmount: 1,
    uiAmountString: "1",
    owner: `holderOwner${i}${mint.slice(0, 8)}`,
    insider: false,
  }));
  const mintAuthority = t.mint_authority ?? null;
  const freezeAuthority = t.freeze_authority ?? null;
  const extensions = t.extensions?.length ? Object.fromEntries(t.extensions.map((e) => [e, {}])) : null;
  return json({
    mint,
    tokenProgram: program,
    creator: "7dGrdJRYtsNR8UYxZ3TnifXGjGc9eRYLq9sELwYpuuUu",
    creatorBalance: 0,
    token: { mintAuthority, supply: 1_000_000_000_000_000, decimals: d.decimals, isInitialized: true, freezeAuthority },
    token_extensions: extensions,
    tokenMeta: { name: d.name, symbol: d.symbol, uri: "", mutable: false, updateAuthority: "" },
    topHolders: holders,
    freezeAuthority,
    mintAuthority,
    risks,
    score,
    score_normalised: Math.min(100, Math.round(score / 70)),
    fileMeta: { description: "", name: d.name, symbol: d.symbol, image: "" },
    lockerOwners: {},
    lockers: {},
    markets: [],
    totalMarketLiquidity: d.liquidity,
    totalStableLiquidity: 0,
    totalLPProviders: 3,
    totalHolders: 1200,
    price: t.price_usd ?? 0,
    rugged: t.rugged ?? false,
    tokenType: "",
    transferFee: { pct: t.transfer_fee_pct ?? 0, maxAmount: 0, authority: "11111111111111111111111111111111" },
    knownAccounts: {},
    events: [],
    verification: null,
    graphInsidersDetected: 0,
    insiderNetworks: null,
    detectedAt: new Date(Date.now() - d.ageHours * 3_600_000).toISOString(),
    creatorTokens: null,
  });
}

// ------------------------------------------------------------------ Helius parse transactions
/** POST /v0/transactions {transactions: [sig, …]} (≤ 100): the known ones, in request order; unknown omitted. */
function heliusParse(url: URL, body: unknown): Response {
  if (!url.searchParams.get("api-key")) return json({ error: "missing api-key" }, 401);
  const sigs = (body as { transactions?: unknown } | null)?.transactions;
  if (!Array.isArray(sigs) || sigs.length === 0 || sigs.some((s) => typeof s !== "string"))
    return json({ error: "transactions must be a non-empty array of signatures" }, 400);
  if (sigs.length > 100) return json({ error: "too many transactions, max 100" }, 400);
  return json((sigs as string[]).filter((s) => s in state.enhancedTxs).map((s) => state.enhancedTxs[s]));
}

// ------------------------------------------------------------------ Helius webhook management
async function helius(method: string, url: URL, body: unknown): Promise<Response> {
  if (!url.searchParams.get("api-key")) return json({ error: "missing api-key" }, 401);
  const id = url.pathname.split("/")[3];
  if (!id) {
    if (method === "GET") return json(Object.values(state.webhooks));
    if (method === "POST") {
      const b = body as Partial<Webhook> | null;
      if (!b?.webhookURL || !Array.isArray(b.transactionTypes) || !Array.isArray(b.accountAddresses) || !b.webhookType)
        return json({ jsonrpc: "2.0", error: { code: -32602, message: "Invalid params" }, id: "1" }, 400);
      const hook: Webhook = {
        webhookID: `fake-webhook-${state.nextWebhook++}`,
        wallet: "FakeHeliusAccount",
        webhookURL: b.webhookURL,
        transactionTypes: b.transactionTypes,
        accountAddresses: b.accountAddresses,
        webhookType: b.webhookType,
        authHeader: b.authHeader,
        txnStatus: b.txnStatus,
        encoding: b.encoding,
      };
      state.webhooks[hook.webhookID] = hook;
      return json(hook);
    }
  }
  const hook = id ? state.webhooks[id] : undefined;
  if (!hook) return json({ error: "webhook not found" }, 404);
  if (method === "GET") return json(hook);
  if (method === "PUT") {
    Object.assign(hook, body as object);
    hook.webhookID = id as string;
    return json(hook);
  }
  if (method === "DELETE") {
    delete state.webhooks[id as string];
    return new Response(null, { status: 200 });
  }
  return json({ error: "method not allowed" }, 405);
}

// ------------------------------------------------------------------ Solana JSON-RPC
type RpcCall = { jsonrpc?: string; id?: unknown; method?: string; params?: unknown[] };
const ctx = () => ({ apiVersion: "2.0.15", slot: 341197247 });
const rpcError = (id: unknown, code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id });

function tokenAccountsOf(owner: string, programId: string) {
  const want = programId === TOKEN_2022_PROGRAM ? "token2022" : "token";
  return (state.tokenAccounts[owner] ?? [])
    .filter((a) => (a.program ?? "token") === want)
    .map((a, i) => {
      const ui = Number(a.amount) / 10 ** a.decimals;
      return {
        account: {
          data: {
            parsed: {
              info: {
                ...(want === "token2022" ? { extensions: [{ extension: "immutableOwner" }] } : {}),
                isNative: false,
                mint: a.mint,
                owner,
                state: "initialized",
                tokenAmount: { amount: a.amount, decimals: a.decimals, uiAmount: ui, uiAmountString: String(ui) },
              },
              type: "account",
            },
            program: want === "token2022" ? "spl-token-2022" : "spl-token",
            space: want === "token2022" ? 182 : 165,
          },
          executable: false,
          lamports: 2039280,
          owner: programId,
          rentEpoch: U64_MAX,
          space: want === "token2022" ? 182 : 165,
        },
        pubkey: `acct${i}${a.mint.slice(0, 20)}${owner.slice(0, 12)}`,
      };
    });
}

function rpcOne(call: RpcCall): unknown {
  const id = call.id ?? null;
  const p = call.params ?? [];
  const scripted = state.rpcScripts[call.method ?? ""];
  if (scripted) return { ...(scripted as object), id };
  switch (call.method) {
    case "getBalance": {
      const addr = String(p[0] ?? "");
      return { jsonrpc: "2.0", result: { context: ctx(), value: state.balances[addr] ?? 0 }, id };
    }
    case "getMultipleAccounts": {
      const keys = (p[0] as string[] | undefined) ?? [];
      if (keys.length > 100) return rpcError(id, -32602, "Too many inputs provided; max 100");
      const value = keys.map((k) =>
        k in state.balances
          ? {
              data: ["", "base64"],
              executable: false,
              lamports: state.balances[k],
              owner: "11111111111111111111111111111111",
              rentEpoch: U64_MAX,
              space: 0,
            }
          : null,
      );
      return { jsonrpc: "2.0", result: { context: ctx(), value }, id };
    }
    case "getTokenAccountsByOwner": {
      const owner = String(p[0] ?? "");
      const filter = (p[1] ?? {}) as { programId?: string; mint?: string };
      if (!filter.programId && !filter.mint) return rpcError(id, -32602, "Invalid params: missing programId or mint");
      return {
        jsonrpc: "2.0",
        result: { context: ctx(), value: tokenAccountsOf(owner, filter.programId ?? SPL_CLASSIC_PROGRAM) },
        id,
      };
    }
    case "getSignaturesForAddress": {
      const addr = String(p[0] ?? "");
      const opts = (p[1] ?? {}) as { limit?: number; before?: string; until?: string };
      let list = [...(state.signatures[addr] ?? [])].sort((a, b) => b.slot - a.slot);
      if (opts.before) {
        const i = list.findIndex((s) => s.signature === opts.before);
        list = i >= 0 ? list.slice(i + 1) : list;
      }
      if (opts.until) {
        const i = list.findIndex((s) => s.signature === opts.until);
        list = i >= 0 ? list.slice(0, i) : list;
      }
      const limit = Math.min(opts.limit ?? 1000, 1000);
      const result = list.slice(0, limit).map((s) => ({
        signature: s.signature,
        slot: s.slot,
        err: s.err ?? null,
        memo: s.memo ?? null,
        blockTime: s.blockTime,
        confirmationStatus: "finalized",
      }));
      return { jsonrpc: "2.0", result, id };
    }
    case "getLatestBlockhash":
      return {
        jsonrpc: "2.0",
        result: {
          context: ctx(),
          value: {
            blockhash: "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N",
            lastValidBlockHeight: state.blockHeight + 150,
          },
        },
        id,
      };
    case "getBlockHeight": {
      const height = state.blockHeight;
      state.blockHeight += state.swaps.blockHeightStep; // scripted: the chain moves on between polls
      return { jsonrpc: "2.0", result: height, id };
    }
    case "getTransaction": {
      const tx = swapTransaction(state.swaps, String(p[0] ?? ""));
      return { jsonrpc: "2.0", result: tx ?? null, id };
    }
    case "sendTransaction":
      // Verified asynchronously (WebCrypto): see rpcSend, called by rpc() before rpcOne.
      return rpcError(id, -32603, "sendTransaction is handled by rpcSend");
    case "getSignatureStatuses": {
      const sigs = (p[0] as string[] | undefined) ?? [];
      return {
        jsonrpc: "2.0",
        result: {
          context: ctx(),
          value: sigs.map((s) => {
            const swap = swapStatus(state.swaps, s);
            return swap === undefined ? (state.signatureStatuses[s] ?? null) : swap;
          }),
        },
        id,
      };
    }
    case "getAssetBatch": {
      const ids = ((p as unknown as { ids?: string[] }).ids ??
        (p[0] as { ids?: string[] } | undefined)?.ids ??
        []) as string[];
      const result = ids.map((mint) => {
        const t = state.tokens[mint];
        if (!t) return null;
        const d = tokenDefaults(t);
        return {
          interface: "FungibleToken",
          id: mint,
          content: { metadata: { name: d.name, symbol: d.symbol } },
          token_info: { symbol: d.symbol, decimals: d.decimals },
        };
      });
      return { jsonrpc: "2.0", result, id };
    }
    default:
      return rpcError(id, -32601, "Method not found");
  }
}

/**
 * sendTransaction: decode, verify every Ed25519 signature against its signer (fee payer first), record
 * once per signature. A landed System transfer moves the balances and appears in the signature lists and
 * the parse API, like the real cluster would show it.
 */
async function rpcSend(call: RpcCall): Promise<unknown> {
  const id = call.id ?? null;
  const p = call.params ?? [];
  const wire = String(p[0] ?? "");
  if (!wire) return rpcError(id, -32602, "Invalid params: missing transaction");
  const encoding = String((p[1] as { encoding?: string } | undefined)?.encoding ?? "base58");
  const blockhash = blockhashOf(wire, encoding);
  const swapTerms = blockhash ? state.swaps.byBlockhash[blockhash] : undefined;
  const res = await acceptTransaction(state.chain, wire, encoding);
  if (!res.ok) return rpcError(id, res.code, res.message);
  if (swapTerms) {
    // A swap whose blockhash has expired never lands (a real node answers "Blockhash not found").
    if (res.first && state.blockHeight > swapTerms.last_valid_block_height) {
      delete state.chain.landed[res.signature];
      state.swaps.expiredSends++;
      return rpcError(id, -32002, "Transaction simulation failed: Blockhash not found");
    }
    state.sentTransactions.push(wire);
    if (res.first) {
      const landed = landSwap(state.swaps, swapTerms, res.signature, res.tx.slot, state.chain.sendMode, {
        balances: state.balances,
        tokenAccounts: state.tokenAccounts,
        decimalsOf: (mint) => (state.tokens[mint] ? tokenDefaults(state.tokens[mint]).decimals : 6),
      });
      res.tx.outcome = landed.outcome === "land" ? "landed" : landed.outcome === "drop" ? "dropped" : "failed";
    }
    return { jsonrpc: "2.0", result: res.signature, id };
  }
  state.sentTransactions.push(wire);
  const tx = res.tx;
  if (res.first && tx.outcome !== "dropped") {
    state.signatureStatuses[tx.signature] ??= {
      confirmationStatus: "confirmed",
      err: tx.outcome === "failed" ? { InstructionError: [0, "Custom"] } : null,
      slot: tx.slot,
    };
    state.balances[tx.fee_payer] = (state.balances[tx.fee_payer] ?? 0) - FAKE_FEE_LAMPORTS;
    const touched = new Set([tx.fee_payer]);
    for (const t of tx.outcome === "landed" ? tx.transfers : []) {
      state.balances[t.from] = (state.balances[t.from] ?? 0) - t.lamports;
      state.balances[t.to] = (state.balances[t.to] ?? 0) + t.lamports;
      touched.add(t.from).add(t.to);
    }
    for (const a of touched) {
      state.signatures[a] = state.signatures[a] ?? [];
      state.signatures[a].push({
        signature: tx.signature,
        slot: tx.slot,
        blockTime: tx.block_time,
        ...(tx.outcome === "failed" ? { err: { InstructionError: [0, "Custom"] } } : {}),
      });
    }
    state.enhancedTxs[tx.signature] = enhancedOf(tx);
  }
  return { jsonrpc: "2.0", result: tx.signature, id };
}

async function rpc(body: unknown, path: string): Promise<Response> {
  state.rpcHttpRequests++;
  const calls = Array.isArray(body) ? (body as RpcCall[]) : [body as RpcCall];
  // In a batch, a scripted status failure fails only its own call (a JSON-RPC error item, as real
  // nodes answer a rate-limited or failing call inside a batch); timeouts and malformed bodies, and
  // any failure of a single call, fail the whole HTTP request.
  const itemErrors = new Map<number, unknown>();
  for (const [i, c] of calls.entries()) {
    const failed = await gate(`rpc.${c?.method ?? "unknown"}`, "POST", path, c);
    if (!failed) continue;
    const f = state.failures[`rpc.${c?.method ?? "unknown"}`] ?? state.failures["*"];
    if (!Array.isArray(body) || f?.mode !== "status") return failed;
    const status = failed.status;
    itemErrors.set(
      i,
      rpcError(c?.id ?? null, status === 429 ? 429 : -32603, status === 429 ? "Too many requests" : `fake ${status}`),
    );
  }
  const results: unknown[] = [];
  for (const [i, c] of calls.entries()) {
    if (itemErrors.has(i)) {
      results.push(itemErrors.get(i));
      continue;
    }
    const scripted = state.rpcScripts[c?.method ?? ""];
    results.push(c?.method === "sendTransaction" && !scripted ? await rpcSend(c) : rpcOne(c ?? {}));
  }
  return json(Array.isArray(body) ? results : results[0]);
}

// ------------------------------------------------------------------ control API
async function control(method: string, url: URL, body: unknown): Promise<Response> {
  const what = url.pathname.slice("/__fake/".length);
  const b = (body ?? {}) as Record<string, unknown>;
  if (what === "reset" && method === "POST") {
    state = freshState();
    for (const route of [...holds.keys()]) releaseHold(route);
    return json({ ok: true });
  }
  if (what === "hold" && method === "POST") {
    // { route } — hold its requests until { route, release: true }; GET holds → waiting requests per route
    const route = String(b.route);
    if (b.release) releaseHold(route);
    else if (!holds.has(route)) holds.set(route, { waiting: 0, released: false });
    return json({ ok: true });
  }
  if (what === "holds" && method === "GET")
    return json(Object.fromEntries([...holds].map(([route, h]) => [route, h.waiting])));
  if (what === "calls" && method === "GET") return json({ calls: state.calls, requests: state.requests });
  if (what === "notifications" && method === "GET") return json(state.notifications);
  if (what === "state" && method === "GET") return json(state);
  if (what === "tokens" && method === "POST") {
    for (const t of (b.tokens as FakeToken[] | undefined) ?? [b as unknown as FakeToken]) {
      state.tokens[t.mint] = { ...state.tokens[t.mint], ...t };
    }
    return json({ ok: true });
  }
  if (what === "prices" && method === "POST") {
    // { mint: price | null } — moves Jupiter's (and DexScreener's unless set apart) price
    for (const [mint, price] of Object.entries(b as Record<string, number | null>)) {
      state.tokens[mint] = { ...(state.tokens[mint] ?? { mint }), price_usd: price };
    }
    return json({ ok: true });
  }
  if (what === "wallets" && method === "POST") {
    // { address, lamports?, token_accounts?, signatures? }
    for (const w of (b.wallets as Record<string, unknown>[] | undefined) ?? [b]) {
      const address = String(w.address);
      if (typeof w.lamports === "number") state.balances[address] = w.lamports;
      if (Array.isArray(w.token_accounts)) state.tokenAccounts[address] = w.token_accounts as FakeTokenAccount[];
      if (Array.isArray(w.signatures)) state.signatures[address] = w.signatures as FakeSignature[];
    }
    return json({ ok: true });
  }
  if (what === "rpc-script" && method === "POST") {
    // { method, response } — the whole JSON-RPC answer for that method (its id is replaced); response null clears
    if (b.response == null) delete state.rpcScripts[String(b.method)];
    else state.rpcScripts[String(b.method)] = b.response;
    return json({ ok: true });
  }
  if (what === "transactions" && method === "POST") {
    // { transactions: [enhanced tx, …] } — served by POST /v0/transactions, keyed by their signature
    for (const tx of (b.transactions as { signature: string }[] | undefined) ?? [])
      state.enhancedTxs[tx.signature] = tx;
    return json({ ok: true });
  }
  if (what === "signature-statuses" && method === "POST") {
    Object.assign(state.signatureStatuses, b);
    return json({ ok: true });
  }
  if (what === "chain" && method === "GET")
    return json({ ...state.chain, block_height: state.blockHeight, rpc_http_requests: state.rpcHttpRequests });
  if (what === "send-mode" && method === "POST") {
    state.chain.sendMode = (b.mode as SendMode | undefined) ?? "land";
    return json({ ok: true });
  }
  if (what === "block-height" && method === "POST") {
    // { height?, step? } — step: how far the chain moves after each getBlockHeight answer
    state.blockHeight = Number(b.height ?? state.blockHeight);
    if (typeof b.step === "number") state.swaps.blockHeightStep = b.step;
    return json({ ok: true });
  }
  if (what === "swap-script" && method === "POST") {
    // { simulation_errors?: [{errorCode, error}], land?: [LandScript] } — consumed one per swap / per landed swap
    for (const e of (b.simulation_errors as { errorCode: string; error?: string }[] | undefined) ?? [])
      state.swaps.simulationErrors.push(e);
    for (const l of (b.land as LandScript[] | undefined) ?? []) state.swaps.landQueue.push(l);
    return json({ ok: true });
  }
  if (what === "swaps" && method === "GET") return json(state.swaps);
  if (what === "fail" && method === "POST") {
    const route = String(b.route ?? "*");
    if (b.clear) delete state.failures[route];
    else
      state.failures[route] = {
        mode: (b.mode as FailureMode) ?? "status",
        status: b.status as number | undefined,
        times: (b.times as number | undefined) ?? -1,
        delay_ms: b.delay_ms as number | undefined,
      };
    return json({ ok: true });
  }
  if (what === "latency" && method === "POST") {
    state.latency[String(b.route ?? "*")] = Number(b.ms ?? 0);
    return json({ ok: true });
  }
  return json({ error: `unknown control ${method} ${what}` }, 404);
}

// ------------------------------------------------------------------ Telegram Bot API + notification webhook
let telegramMessageId = 1;
/** Telegram's answers (https://core.telegram.org/bots/api#making-requests); a scripted failure uses Telegram's error shape. */
async function notifyRoute(request: Request, url: URL): Promise<Response> {
  const tg = url.pathname.match(/^\/bot([^/]+)\/sendMessage$/);
  const route = tg ? "telegram.sendMessage" : "notify.webhook";
  const raw = await request.text();
  const headers = Object.fromEntries([...request.headers].filter(([k]) => k.startsWith("x-") || k === "content-type"));
  const entry: FakeNotification = {
    route,
    path: url.pathname,
    headers,
    raw,
    accepted: false,
    ...(tg ? { token: tg[1] } : {}),
  };
  state.notifications.push(entry);
  const failed = await gate(route, request.method, url.pathname);
  if (failed) {
    if (!tg) return failed;
    const status = failed.status;
    return json(
      {
        ok: false,
        error_code: status,
        description: status === 429 ? "Too Many Requests: retry after 7" : `Internal Server Error (fake ${status})`,
        ...(status === 429 ? { parameters: { retry_after: 7 } } : {}),
      },
      status,
    );
  }
  if (tg) {
    let body: { chat_id?: unknown; text?: unknown } = {};
    try {
      body = JSON.parse(raw);
    } catch {}
    if (!body.chat_id || typeof body.text !== "string" || body.text.length === 0)
      return json({ ok: false, error_code: 400, description: "Bad Request: message text is empty" }, 400);
    entry.accepted = true;
    return json({
      ok: true,
      result: {
        message_id: telegramMessageId++,
        from: { id: 1, is_bot: true, first_name: "FakeBot" },
        chat: { id: Number(body.chat_id) || 0, type: "private" },
        date: Math.floor(Date.now() / 1000),
        text: body.text,
      },
    });
  }
  entry.accepted = true;
  return json({ received: true });
}

// ------------------------------------------------------------------ dispatch
async function readBody(request: Request): Promise<unknown> {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const text = await request.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { __unparsable: text.slice(0, 200) };
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    // Before readBody: the webhook receiver needs the raw bytes the signature covers.
    if (/^\/bot[^/]+\/sendMessage$/.test(path) || path.startsWith("/notify/")) return notifyRoute(request, url);
    const body = await readBody(request);
    if (path.startsWith("/__fake/")) return control(request.method, url, body);

    if (path.startsWith("/v0/webhooks")) {
      const route = `helius.webhooks.${request.method.toLowerCase()}`;
      return (await gate(route, request.method, path, body)) ?? helius(request.method, url, body);
    }
    if (path === "/v0/transactions" && request.method === "POST")
      return (await gate("helius.transactions", "POST", path, body)) ?? heliusParse(url, body);
    if (path === "/price/v3") return (await gate("jupiter.price", "GET", path)) ?? jupiterPrice(url);
    if (path === "/swap/v1/quote")
      // Its query as the recorded body: a test can read what was asked (mints, amount, slippage).
      return (await gate("jupiter.quote", "GET", path, Object.fromEntries(url.searchParams))) ?? jupiterQuote(url);
    if (path === "/swap/v1/swap") return (await gate("jupiter.swap", "POST", path, body)) ?? (await jupiterSwap(body));
    if (path.startsWith("/tokens/v1/solana/"))
      return (await gate("dexscreener.tokens", "GET", path)) ?? dexTokens(path);
    const rc = path.match(/^\/v1\/tokens\/([^/]+)\/report(\/summary)?$/);
    if (rc) {
      const summary = Boolean(rc[2]);
      return (
        (await gate(summary ? "rugcheck.summary" : "rugcheck.report", "GET", path)) ??
        rugcheckReport(decodeURIComponent(rc[1] as string), summary)
      );
    }
    if (request.method === "POST" && body && typeof body === "object" && ("jsonrpc" in body || Array.isArray(body))) {
      return rpc(body, path);
    }
    return json({ error: `fake upstream has no route for ${request.method} ${path}` }, 404);
  },
};
