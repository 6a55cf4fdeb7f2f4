import { z } from "zod";
import type { SubrequestBudget } from "../lib/subrequest-budget";
import { timeoutFrom, UpstreamError } from "./http";
import type { RpcEnv } from "./solana-rpc";

/**
 * JSON-RPC batching: many calls in one HTTP request (an array of request objects; the node answers an
 * array matched by `id`), so refreshing n wallets costs a few subrequests instead of 3n. A whole-request
 * failure (HTTP status, timeout, unreadable body) fails every call of that request; a JSON-RPC error
 * object fails only its own call. Results are returned raw: callers zod-parse each with the schema of
 * its method, as the single-call client does.
 */

/** Calls per HTTP request: providers cap batches (Helius, QuickNode: 100+; public nodes fewer). */
export const RPC_BATCH_SIZE = 50;

export interface RpcCallSpec {
  method: string;
  params: unknown[];
}

export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: UpstreamError };

const ResponseItem = z.object({
  id: z.union([z.number(), z.string()]).nullable(),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string().optional() }).optional(),
});

export async function rpcBatch(
  env: RpcEnv,
  calls: readonly RpcCallSpec[],
  budget: SubrequestBudget,
): Promise<RpcOutcome[]> {
  const out: RpcOutcome[] = [];
  for (let i = 0; i < calls.length; i += RPC_BATCH_SIZE) {
    out.push(...(await oneRequest(env, calls.slice(i, i + RPC_BATCH_SIZE), budget)));
  }
  return out;
}

/** How many HTTP requests `n` batched calls take. */
export const batchRequests = (n: number) => Math.ceil(n / RPC_BATCH_SIZE);

async function oneRequest(env: RpcEnv, calls: readonly RpcCallSpec[], budget: SubrequestBudget): Promise<RpcOutcome[]> {
  const fail = (error: UpstreamError): RpcOutcome[] => calls.map(() => ({ ok: false, error }));
  if (!env.SOLANA_RPC_URL) return fail(new UpstreamError("solana-rpc", "network", "SOLANA_RPC_URL is not configured"));
  const timeoutMs = timeoutFrom(env);
  const what = `batch of ${calls.length} (${[...new Set(calls.map((c) => c.method))].join(", ")})`;
  budget.take(what);
  let res: Response;
  try {
    res = await fetch(env.SOLANA_RPC_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(calls.map((c, id) => ({ jsonrpc: "2.0", id, method: c.method, params: c.params }))),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return fail(
      new UpstreamError(
        "solana-rpc",
        timedOut ? "timeout" : "network",
        timedOut ? `${what}: timed out after ${timeoutMs} ms` : `${what}: network error`,
      ),
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    return fail(new UpstreamError("solana-rpc", "http", `${what}: HTTP ${res.status}`, { status: res.status }));
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return fail(new UpstreamError("solana-rpc", "malformed", `${what}: body is not JSON`));
  }
  const parsed = z.array(ResponseItem).safeParse(body);
  if (!parsed.success)
    return fail(new UpstreamError("solana-rpc", "malformed", `${what}: not a JSON-RPC batch answer`));
  const byId = new Map(parsed.data.map((item) => [Number(item.id), item]));
  return calls.map((c, id): RpcOutcome => {
    const item = byId.get(id);
    if (!item)
      return {
        ok: false,
        error: new UpstreamError("solana-rpc", "malformed", `${c.method}: missing from the batch answer`),
      };
    if (item.error) {
      const code = item.error.code;
      const rateLimited = code === 429 || /rate|too many/i.test(item.error.message ?? "");
      // -32603 "Internal error": the node failed on this call, as an HTTP 500 would for a single call.
      const status = rateLimited ? 429 : code === -32603 ? 500 : 200;
      return {
        ok: false,
        error: new UpstreamError("solana-rpc", "http", `${c.method}: JSON-RPC error ${code}`, {
          status,
          retryable: status !== 200 || code === -32005,
        }),
      };
    }
    return { ok: true, result: item.result };
  });
}
