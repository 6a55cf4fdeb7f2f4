import { env } from "cloudflare:workers";
import type { SwapRequest } from "../../src/domain/swap-order";
import { pushQueueHotState } from "../../src/pipeline/queue-hot-state";

/**
 * The SwapQueue (and the positions, which ask it) decide from a pushed hot state (issue 10): a test that
 * writes config or the breaker straight into D1 pushes it, as the API's writes do on their own.
 */
export async function pushQueue() {
  const res = await pushQueueHotState(env);
  if (res.failed.length) throw new Error("hot-state push to the SwapQueue failed");
}

/** Test helpers of the execution half: config tweaks, polling for async outcomes, request builders. */
export async function setConfig(patch: Record<string, number | boolean>) {
  const cols = Object.keys(patch);
  await env.DB.prepare(`UPDATE config SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`)
    .bind(...cols.map((c) => (typeof patch[c] === "boolean" ? Number(patch[c]) : patch[c])))
    .run();
  await pushQueue();
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`waitFor timed out${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let n = 0;
/** A distinct fake mint address per call (base58 alphabet, 44 chars). */
export function mint(tag: string): string {
  n++;
  return `${tag}${String(n).padStart(4, "1")}`
    .replace(/[^1-9A-HJ-NP-Za-km-z]/g, "x")
    .padEnd(44, "M")
    .slice(0, 44);
}

export const LEADER = "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij";

export function buyRequest(tokenMint: string, over: Partial<SwapRequest> = {}): SwapRequest {
  return {
    idempotency_key: `entry:${tokenMint}:${crypto.randomUUID()}`,
    side: "buy",
    priority: "normal",
    mode: "simulation",
    token_mint: tokenMint,
    wallet_id: null,
    signal_id: null,
    reason: "entry",
    requested_usd: 50,
    entry: { source_wallet_address: LEADER, exit_strategy_id: null, token_decimals: 6 },
    ...over,
  };
}

export const orderRow = (id: string) =>
  env.DB.prepare("SELECT * FROM orders WHERE id = ?").bind(id).first<Record<string, unknown>>();

export const positionRow = (id: string) =>
  env.DB.prepare("SELECT * FROM positions WHERE id = ?").bind(id).first<Record<string, unknown>>();

export const queue = () => env.SWAP_QUEUE.getByName("default");

export async function resetBreaker() {
  const last = await env.DB.prepare("SELECT event_type FROM circuit_breaker_events ORDER BY id DESC LIMIT 1").first<{
    event_type: string;
  }>();
  if (last?.event_type === "trip")
    await env.DB.prepare(
      "INSERT INTO circuit_breaker_events (event_type, trigger, reason) VALUES ('reset', 'manual', 'test reset')",
    ).run();
  await pushQueue();
}

export async function tripBreaker() {
  await env.DB.prepare(
    "INSERT INTO circuit_breaker_events (event_type, trigger, reason) VALUES ('trip', 'manual', 'test trip')",
  ).run();
  await pushQueue();
}
