import type { Context } from "hono";

/**
 * Failed-attempt limits per client address (issue 12). Operator credentials are checked only when the
 * address is not blocked, so a blocked guesser learns nothing; the webhook checks Helius's secret first
 * (its deliveries must never wait on a counter) and only failures touch the counter.
 */
export const EDGE_LIMITS = {
  login: { limit: 10, windowMs: 15 * 60_000 },
  bearer: { limit: 20, windowMs: 5 * 60_000 },
  webhook: { limit: 20, windowMs: 5 * 60_000 },
} as const;
export type EdgeSurface = keyof typeof EDGE_LIMITS;

/** The client address Cloudflare saw; locally (no header) every client shares "local". */
export const clientAddress = (c: Context) => c.req.header("cf-connecting-ip")?.trim() || "local";

const limiter = (env: Env, surface: EdgeSurface, address: string) =>
  env.RATE_LIMITER.getByName(`${surface}:${address}`);

export async function blockedFor(env: Env, surface: EdgeSurface, address: string) {
  const v = await limiter(env, surface, address).check();
  return v.blocked ? v : null;
}

export async function countFailure(env: Env, surface: EdgeSurface, address: string) {
  const { limit, windowMs } = EDGE_LIMITS[surface];
  return limiter(env, surface, address).fail(limit, windowMs);
}

export const tooManyDetail = (surface: EdgeSurface, retryAfter: number) =>
  `too many failed ${surface === "login" ? "logins" : surface === "bearer" ? "bearer tokens" : "webhook authorizations"} from this address; retry in ${retryAfter} s`;
