import type { z } from "zod";
import { errorMessage } from "../lib/error-message";
import { admitCall, recordCall, releaseTrial } from "./health-tracker";
import { countCall } from "./usage-counter";

export const UPSTREAM_SERVICES = ["helius", "jupiter", "dexscreener", "rugcheck", "solana-rpc"] as const;
export type UpstreamService = (typeof UPSTREAM_SERVICES)[number];

/**
 * The one error every upstream client throws. `retryable` says whether the same call may succeed
 * later (429, 5xx, timeout, network); callers decide the fallback, clients never swallow.
 * `message` never contains the upstream body or a secret (DESIGN §6).
 */
export class UpstreamError extends Error {
  readonly service: UpstreamService;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly kind: "http" | "timeout" | "network" | "malformed" | "circuit_open";
  /** For a 429: how long the upstream asked to wait (Retry-After / x-ratelimit-reset), when it said so. */
  readonly retryAfterMs: number | undefined;
  constructor(
    service: UpstreamService,
    kind: UpstreamError["kind"],
    message: string,
    opts: { status?: number | null; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(`${service}: ${message}`);
    this.name = "UpstreamError";
    this.service = service;
    this.kind = kind;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable =
      opts.retryable ?? (kind !== "malformed" && (opts.status == null || opts.status === 429 || opts.status >= 500));
  }
}

export interface FetchJsonOptions<T extends z.ZodType> {
  service: UpstreamService;
  url: string;
  schema: T;
  init?: RequestInit;
  timeoutMs: number;
  /** Statuses whose JSON body is still parsed with `schema` (e.g. Jupiter's 400 "no route"). */
  acceptStatuses?: number[];
  /**
   * The caller's own, shorter budget (e.g. a simulated fill's quote). Its abort is the caller giving up, not
   * the upstream failing: it is not recorded against the upstream's circuit breaker.
   */
  signal?: AbortSignal;
}

/** Joins a base URL (scheme + host, maybe a path) and a documented path without doubling slashes. */
export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;

/**
 * One path component, percent-encoded (a `/`, `?`, `#` or `,` in a mint must not change the upstream path).
 * `.` and `..` survive encoding and the URL parser still resolves them (also written `%2e`), so they are
 * refused outright, as is an empty component.
 */
export function pathSegment(value: string): string {
  if (value === "" || /^(\.|%2e){1,2}$/i.test(value)) throw new RangeError(`not a usable path component: "${value}"`);
  return encodeURIComponent(value);
}

export const timeoutFrom = (env: { UPSTREAM_TIMEOUT_MS?: string }, fallback = 5000) => {
  const n = Number(env.UPSTREAM_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/** fetch + timeout + status check + zod parse, turning every failure into an UpstreamError. */
export async function fetchJson<T extends z.ZodType>(
  opts: FetchJsonOptions<T>,
): Promise<{ status: number; data: z.infer<T> }> {
  // Upstream circuit breaker (issue 12): while open the call is not made; callers take their fallback.
  if (admitCall(opts.service) === "skip")
    throw new UpstreamError(opts.service, "circuit_open", "skipped: failing upstream in cool-down", {
      retryable: true,
    });
  const method = opts.init?.method ?? "GET";
  try {
    const out = await fetchJsonOnce(opts);
    await recordCall(opts.service, true, null);
    // Rate-limit usage (issue 12): counted in memory, written to D1 at most every few seconds.
    await countCall(opts.service, method, opts.url, out.status);
    return out;
  } catch (err) {
    if (opts.signal?.aborted) {
      // Given up by the caller: no verdict on the upstream (a trial call it was stays undecided).
      releaseTrial(opts.service);
      await countCall(opts.service, method, opts.url, null);
      throw err;
    }
    // An answered 4xx (unknown token, bad request) is the upstream working; only outages count.
    const outage = err instanceof UpstreamError && (err.retryable || err.kind === "malformed");
    await recordCall(opts.service, !outage, errorMessage(err));
    await countCall(opts.service, method, opts.url, err instanceof UpstreamError ? err.status : null);
    throw err;
  }
}

async function fetchJsonOnce<T extends z.ZodType>(
  opts: FetchJsonOptions<T>,
): Promise<{ status: number; data: z.infer<T> }> {
  const { service, url, schema, init, timeoutMs } = opts;
  const safeUrl = url.replace(/([?&]api-key=)[^&]+/i, "$1…");
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    res = await fetch(url, { ...init, signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new UpstreamError(
      service,
      timedOut ? "timeout" : "network",
      timedOut ? `timed out after ${timeoutMs} ms (${safeUrl})` : `network error (${safeUrl})`,
    );
  }
  if (!res.ok && !opts.acceptStatuses?.includes(res.status)) {
    // Drain the body so the connection is reusable; never echo it.
    await res.body?.cancel();
    const retryAfterMs = res.status === 429 ? retryAfterOf(res.headers) : undefined;
    throw new UpstreamError(service, "http", `HTTP ${res.status} (${safeUrl})`, {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    if (timedOut) throw new UpstreamError(service, "timeout", `timed out reading the body (${safeUrl})`);
    throw new UpstreamError(service, "malformed", `body is not JSON (${safeUrl})`, { status: res.status });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") || "body";
    throw new UpstreamError(service, "malformed", `unexpected response shape at ${where} (${safeUrl})`, {
      status: res.status,
    });
  }
  return { status: res.status, data: parsed.data };
}

/**
 * The wait a 429 asks for: `Retry-After` (seconds) or Jupiter's `x-ratelimit-reset` (seconds until the
 * window resets; https://dev.jup.ag/portal/rate-limits). Absurd values (over an hour) are ignored.
 */
export function retryAfterOf(headers: Headers): number | undefined {
  for (const name of ["retry-after", "x-ratelimit-reset"]) {
    const v = Number(headers.get(name));
    if (headers.get(name) !== null && Number.isFinite(v) && v >= 0 && v <= 3600) return Math.ceil(v * 1000);
  }
  return undefined;
}
