import { z } from "zod";
import { fetchJson, joinUrl, timeoutFrom, UpstreamError } from "./http";

/**
 * Helius webhook management (ADR-001: one global enhanced webhook for every active wallet).
 * Paths and fields: helius-labs/docs openapi/webhooks.yaml and helius-sdk (see ../shared/fixtures/
 * helius-webhooks-auth-retry-and-api.md). Auth is the `api-key` query parameter; `fetchJson` masks it
 * in every error message.
 */
export interface WebhookRequest {
  webhookURL: string;
  transactionTypes: string[];
  /** PUT replaces the whole list: always send every active address (max 100,000). */
  accountAddresses: string[];
  webhookType: "enhanced";
  /** Echoed verbatim by Helius in the Authorization header of each delivery. */
  authHeader: string;
}

// Only what the sync needs. The echoed `authHeader` (a secret) is only compared in memory to decide
// whether an edit is needed; it is never logged, stored or returned.
export const WebhookSchema = z.object({
  webhookID: z.string().min(1),
  webhookURL: z.string(),
  transactionTypes: z.array(z.string()).optional(),
  accountAddresses: z.array(z.string()).optional(),
  webhookType: z.string().optional(),
  authHeader: z.string().optional(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

export const HELIUS_MAX_ADDRESSES = 100_000;

interface HeliusEnv {
  HELIUS_API_URL: string;
  HELIUS_API_KEY?: string;
  UPSTREAM_TIMEOUT_MS?: string;
}

const url = (env: HeliusEnv, id?: string) =>
  `${joinUrl(env.HELIUS_API_URL, id ? `/v0/webhooks/${encodeURIComponent(id)}` : "/v0/webhooks")}?api-key=${encodeURIComponent(env.HELIUS_API_KEY ?? "")}`;

const jsonInit = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export async function listWebhooks(env: HeliusEnv): Promise<Webhook[]> {
  const { data } = await fetchJson({
    service: "helius",
    url: url(env),
    schema: z.array(WebhookSchema),
    timeoutMs: timeoutFrom(env),
  });
  return data;
}

export async function createWebhook(env: HeliusEnv, req: WebhookRequest): Promise<Webhook> {
  const { data } = await fetchJson({
    service: "helius",
    url: url(env),
    schema: WebhookSchema,
    init: jsonInit("POST", req),
    timeoutMs: timeoutFrom(env),
  });
  return data;
}

/** Reads one webhook (not billed like an edit). Throws UpstreamError with status 404 when it is gone. */
export async function getWebhook(env: HeliusEnv, id: string): Promise<Webhook> {
  const { data } = await fetchJson({
    service: "helius",
    url: url(env, id),
    schema: WebhookSchema,
    timeoutMs: timeoutFrom(env),
  });
  return data;
}

/** Throws UpstreamError with status 404 when the webhook no longer exists (deleted in the dashboard). */
export async function editWebhook(env: HeliusEnv, id: string, req: WebhookRequest): Promise<Webhook> {
  const { data } = await fetchJson({
    service: "helius",
    url: url(env, id),
    schema: WebhookSchema,
    init: jsonInit("PUT", req),
    timeoutMs: timeoutFrom(env),
  });
  return data;
}

/**
 * Deletes one webhook (`DELETE /v0/webhooks/{id}`; Helius answers with an empty or tiny body, so it is not
 * parsed). A webhook already gone (404) counts as deleted. Other failures throw UpstreamError.
 */
export async function deleteWebhook(env: HeliusEnv, id: string): Promise<void> {
  const timeoutMs = timeoutFrom(env);
  const where = `/v0/webhooks/${encodeURIComponent(id)}`; // never the api-key
  let res: Response;
  try {
    res = await fetch(url(env, id), { method: "DELETE", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new UpstreamError(
      "helius",
      timedOut ? "timeout" : "network",
      timedOut ? `timed out after ${timeoutMs} ms (DELETE ${where})` : `network error (DELETE ${where})`,
    );
  }
  await res.body?.cancel();
  if (res.ok || res.status === 404) return;
  throw new UpstreamError("helius", "http", `HTTP ${res.status} (DELETE ${where})`, { status: res.status });
}

/** Helius parse-transactions takes at most 100 signatures per call. */
export const HELIUS_MAX_PARSE = 100;

/**
 * Enhanced transactions by signature (`POST /v0/transactions`, body `{transactions: [sig, …]}`, ≤ 100): the
 * same shape the webhook delivers. Items are returned raw — the caller validates each with HeliusTxSchema, so
 * one odd item does not sink the batch. Signatures Helius cannot parse (yet) are simply absent.
 */
export async function parseTransactions(env: HeliusEnv, signatures: readonly string[]): Promise<unknown[]> {
  if (signatures.length === 0) return [];
  if (signatures.length > HELIUS_MAX_PARSE)
    throw new RangeError(`parseTransactions takes at most ${HELIUS_MAX_PARSE} signatures`);
  const { data } = await fetchJson({
    service: "helius",
    url: `${joinUrl(env.HELIUS_API_URL, "/v0/transactions")}?api-key=${encodeURIComponent(env.HELIUS_API_KEY ?? "")}`,
    schema: z.array(z.unknown()),
    init: jsonInit("POST", { transactions: signatures }),
    timeoutMs: timeoutFrom(env),
  });
  return data;
}
