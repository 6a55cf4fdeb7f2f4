import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { ApiError } from "./errors";

/**
 * Operator bearer auth. The token is read per request (secrets can change without a redeploy);
 * an unset secret answers 503 and never lets a request through. Hono's bearerAuth compares in
 * constant time (hashes both sides before comparing).
 */
export function operatorAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const token = c.env.OPERATOR_TOKEN;
    if (!token) throw new ApiError("NotConfigured", "OPERATOR_TOKEN is not configured; the operator API is closed");
    const check: MiddlewareHandler = bearerAuth({ token });
    return check(c, next);
  };
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
