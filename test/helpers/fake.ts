import { env } from "cloudflare:workers";
import type { ChainState, LandedTransaction, SendMode } from "../fakes/solana-chain";
import type { LandScript, SwapState } from "../fakes/solana-swaps";
import type {
  FailureMode,
  FakeNotification,
  FakeSignature,
  FakeToken,
  FakeTokenAccount,
} from "../fakes/upstream-worker";

/** Drives the fake upstream worker's control API (test/fakes/upstream-worker.ts). */
async function control(method: "GET" | "POST", what: string, body?: unknown) {
  const res = await env.FAKE_UPSTREAM.fetch(`http://fake.upstream/__fake/${what}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake control ${what} answered ${res.status}`);
  return res.json();
}

export const fake = {
  reset: () => control("POST", "reset"),
  tokens: (...tokens: FakeToken[]) => control("POST", "tokens", { tokens }),
  prices: (prices: Record<string, number | null>) => control("POST", "prices", prices),
  wallet: (w: {
    address: string;
    lamports?: number;
    token_accounts?: FakeTokenAccount[];
    signatures?: FakeSignature[];
  }) => control("POST", "wallets", w),
  signatureStatuses: (s: Record<string, { confirmationStatus: string; err: unknown; slot: number } | null>) =>
    control("POST", "signature-statuses", s),
  /** Enhanced transactions answered by Helius parse-transactions (POST /v0/transactions), by signature. */
  transactions: (...transactions: { signature: string }[]) => control("POST", "transactions", { transactions }),
  /** Serve this whole JSON-RPC answer (e.g. a real fixture's `response`) for `method` until reset. */
  rpcScript: (method: string, response: unknown) => control("POST", "rpc-script", { method, response }),
  fail: (route: string, f: { mode?: FailureMode; status?: number; times?: number; delay_ms?: number } = {}) =>
    control("POST", "fail", { route, ...f }),
  clearFailure: (route: string) => control("POST", "fail", { route, clear: true }),
  latency: (route: string, ms: number) => control("POST", "latency", { route, ms }),
  /** Hold a route's requests until `release(route)` (or reset); `held(route)` counts the requests waiting. */
  hold: (route: string) => control("POST", "hold", { route }),
  release: (route: string) => control("POST", "hold", { route, release: true }),
  held: async (route: string): Promise<number> =>
    ((await control("GET", "holds")) as Record<string, number>)[route] ?? 0,
  calls: async (): Promise<Record<string, number>> =>
    ((await control("GET", "calls")) as { calls: Record<string, number> }).calls,
  requests: async () =>
    ((await control("GET", "calls")) as { requests: { route: string; method: string; path: string; body?: unknown }[] })
      .requests,
  state: () => control("GET", "state") as Promise<Record<string, unknown>>,
  /** Verified transactions by signature, the block height and the RPC HTTP request count. */
  chain: () =>
    control("GET", "chain") as Promise<
      ChainState & { block_height: number; rpc_http_requests: number; landed: Record<string, LandedTransaction> }
    >,
  /** What happens to the next accepted transactions: land (default), drop (never lands), fail (lands with an error). */
  sendMode: (mode: SendMode) => control("POST", "send-mode", { mode }),
  blockHeight: (height: number, step?: number) => control("POST", "block-height", { height, step }),
  /** Next swaps' simulationErrors and next landed swaps' fate (land / drop / fail, pending polls, fill factor). */
  swapScript: (s: { simulation_errors?: { errorCode: string; error?: string }[]; land?: LandScript[] }) =>
    control("POST", "swap-script", s),
  /** Swap transactions built (by blockhash) and landed (by signature). */
  swaps: () => control("GET", "swaps") as Promise<SwapState>,
  /** Requests the fake Telegram (route `telegram.sendMessage`) and webhook receiver (`notify.webhook`) got. */
  notifications: () => control("GET", "notifications") as Promise<FakeNotification[]>,
};
