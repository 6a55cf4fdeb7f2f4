import type { MiddlewareHandler } from "hono";
import { blockedFor, clientAddress, countFailure, tooManyDetail } from "./edge-limits";
import { ApiError, errorBody } from "./errors";
import { log } from "./logger";

/**
 * Operator bearer auth. The token is read per request (secrets can change without a redeploy);
 * an unset secret answers 503 and never lets a request through. The token is compared in constant time.
 * Failed attempts are counted per client address (issue 12): a blocked address gets 429 before its
 * token is even looked at, so guessing gains nothing; other addresses are unaffected.
 */
export function operatorAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const token = c.env.OPERATOR_TOKEN;
    if (!token) throw new ApiError("NotConfigured", "OPERATOR_TOKEN is not configured; the operator API is closed");
    const address = clientAddress(c);
    const blocked = await blockedFor(c.env, "bearer", address);
    if (blocked) return tooMany(c, "bearer", blocked.retry_after_seconds);
    const given = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    if (!given || !(await safeEqual(given, token))) {
      const v = await countFailure(c.env, "bearer", address);
      log.warn("operator_auth_failed", { path: c.req.path, failures: v.failures, blocked: v.blocked });
      if (v.blocked) return tooMany(c, "bearer", v.retry_after_seconds);
      c.header("www-authenticate", 'Bearer realm="walltrack"');
      throw new ApiError("Unauthorized", "missing or invalid bearer token");
    }
    await next();
  };
}

/** The 429 of the edge limits, in the error envelope, with Retry-After. */
export function tooMany(
  c: Parameters<MiddlewareHandler>[0],
  surface: Parameters<typeof tooManyDetail>[0],
  retryAfter: number,
) {
  return c.json(errorBody("TooManyRequests", tooManyDetail(surface, retryAfter)), 429, {
    "retry-after": String(retryAfter),
  });
}

/** Constant-time string equality for secrets compared outside bearer auth (the Helius webhook header). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  // Hash first so that lengths never leak and timingSafeEqual gets equal-length inputs.
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb) && a.length === b.length;
}
