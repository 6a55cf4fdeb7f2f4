import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { addressProblem } from "../domain/address";
import type { OpenPositionInput } from "../domain/position";
import { errorBody, formatZodIssues } from "../lib/errors";
import type { AppEnv } from "./router";

/**
 * Bench-only routes (scripts/bench.mjs, issue 10 "price polling with 1, 50, 500 and 2,000 open positions").
 * They exist only where BENCH_SEED_ENABLED is set, which only the bench's own `wrangler dev --var` sets
 * (scripts/lib/local-stack.mjs): everywhere else, production included, their paths are unknown (the same 404
 * as any unknown path) and they are never in /openapi.json. Behind the operator token like all of /api.
 *
 * Positions are opened through the real PositionActor.open (as the SwapQueue does after an entry fill), so
 * each one arms its own poll alarm and polls through the real PriceFeed: the polling round the bench
 * measures is the production one. Only simulation positions; nothing is bought.
 */
const MAX_PER_CALL = 200; // PositionActor RPCs per request stay well under the subrequest limit
const OPEN_CONCURRENCY = 50;
const BENCH_DECIMALS = 6;
const BENCH_AMOUNT = 1_000_000_000n; // 1,000 tokens at 6 decimals

const Address = z.string().superRefine((s, ctx) => {
  const problem = addressProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const SeedPositionsBody = z
  .object({
    mints: z.array(Address).min(1).max(MAX_PER_CALL),
    source_wallet_address: Address,
    entry_price_usd: z.number().positive().max(1e9),
  })
  .strict()
  .refine((b) => new Set(b.mints).size === b.mints.length, { message: "mints must be distinct", path: ["mints"] });

export function benchSeedEnabled(env: { BENCH_SEED_ENABLED?: string }): boolean {
  const v = env.BENCH_SEED_ENABLED?.trim().toLowerCase();
  return Boolean(v) && v !== "0" && v !== "false";
}

/** The position id a bench mint opens under: one per mint, so a repeated seed is the idempotent re-open. */
export const benchPositionId = (mint: string) => `pos_bench_${mint}`;

const benchApp = new Hono<AppEnv>().basePath("/api/v1/bench");

benchApp.post("/positions", async (c) => {
  const raw = await c.req.json().catch(() => undefined);
  if (raw === undefined) return c.json(errorBody("ValidationError", "body: must be a JSON object"), 400);
  const parsed = SeedPositionsBody.safeParse(raw);
  if (!parsed.success) return c.json(errorBody("ValidationError", formatZodIssues(parsed.error.issues)), 400);
  const body = parsed.data;
  const results: { position_id: string; created: boolean }[] = [];
  for (let i = 0; i < body.mints.length; i += OPEN_CONCURRENCY) {
    const chunk = body.mints.slice(i, i + OPEN_CONCURRENCY);
    results.push(
      ...(await Promise.all(
        chunk.map((mint) => {
          const input: OpenPositionInput = {
            position_id: benchPositionId(mint),
            entry_order_id: `ord_bench_${mint}`,
            wallet_id: null,
            source_wallet_address: body.source_wallet_address,
            signal_id: null,
            token_mint: mint,
            token_decimals: BENCH_DECIMALS,
            mode: "simulation",
            exit_strategy_id: null,
            entry_price_usd: body.entry_price_usd,
            entry_amount: BENCH_AMOUNT.toString(),
            entry_cost_usd: body.entry_price_usd * Number(BENCH_AMOUNT / 10n ** BigInt(BENCH_DECIMALS)),
          };
          return c.env.POSITION_ACTOR.getByName(input.position_id).open(input);
        }),
      )),
    );
  }
  return c.json({ opened: results.length, created: results.filter((r) => r.created).length, positions: results });
});

/** The PriceFeed's counters (requests, mints answered fresh, batches): the bench's view of a polling round. */
benchApp.get("/price-feed", async (c) => c.json(await c.env.PRICE_FEED.getByName("default").status()));

/**
 * Mounted in app.ts under /api/v1/bench/*, after the operator auth: answers only when enabled, else falls
 * through to the app's ordinary 404.
 */
export function benchSeedRoutes(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!benchSeedEnabled(c.env)) return next();
    return benchApp.fetch(c.req.raw, c.env, c.executionCtx);
  };
}
