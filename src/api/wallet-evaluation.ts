import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import { liveGateInput } from "../db/live-gate-store";
import { loadTemplate } from "../db/positions-store";
import { signals, wallets } from "../db/schema";
import { chunks } from "../domain/backfill";
import { classify, withSolPrice } from "../domain/classify";
import { mergeStrategy, StrategyOverrideSchema, strategyProblems } from "../domain/exit-strategy";
import { HeliusTxSchema } from "../domain/helius-tx";
import { evaluateLeader, type LeaderTrade } from "../domain/leader-evaluation";
import { liveGate } from "../domain/live-gate";
import { ApiError } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { HELIUS_MAX_PARSE, parseTransactions } from "../upstream/helius";
import { UpstreamError } from "../upstream/http";
import { getRecentSignatures } from "../upstream/solana-rpc";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";
import { findWallet } from "./wallets";

/**
 * POST /wallets/{id_or_address}/evaluate (issue 14): the wallet's trades — recorded signals, or fetched
 * from the chain (getSignaturesForAddress + Helius parse, never handed to the trading pipeline) — replayed
 * as copies under a strategy by the simulator, stored as its evaluation for the live gate.
 */
const EvaluateBody = z
  .object({
    strategy_id: z.number().int().positive().optional(),
    strategy: StrategyOverrideSchema.optional(),
    source: z.enum(["recorded", "backfill"]).default("recorded"),
    limit: z.number().int().min(1).max(1000).default(200).openapi({ description: "backfill: signatures to read" }),
  })
  .strict()
  .openapi("WalletEvaluationRequest");

const ResultSchema = z
  .object({
    wallet_id: z.number().int(),
    address: z.string(),
    source: z.enum(["recorded", "backfill"]),
    strategy_id: z.number().int(),
    evaluated_at: z.string(),
    trades_read: z.number().int(),
    trades_observed: z.number().int(),
    wins: z.number().int(),
    losses: z.number().int(),
    win_rate_percent: z.number().nullable(),
    avg_pnl_percent: z.number().nullable(),
    skipped: z.number().int(),
    live_gate: z.object({ ok: z.boolean(), detail: z.string().nullable() }),
    trades: z.array(
      z.object({
        mint: z.string(),
        entry_signature: z.string(),
        entry_time_s: z.number(),
        exits: z.number().int(),
        exit_reason: z.string().nullable(),
        status: z.enum(["open", "closed"]),
        pnl_percent: z.number(),
        win: z.boolean(),
      }),
    ),
  })
  .openapi("WalletEvaluation");

const route = createRoute({
  method: "post",
  path: "/wallets/{id_or_address}/evaluate",
  tags: ["watchlist"],
  summary: "Evaluate a leader: replay its trades as copies under a strategy; the live gate uses the result",
  security: bearerSecurity,
  request: {
    params: z.object({ id_or_address: z.string().openapi({ param: { name: "id_or_address", in: "path" } }) }),
    body: {
      content: {
        "application/json": { schema: EvaluateBody, example: { strategy_id: 1, source: "recorded", limit: 200 } },
      },
      required: true,
    },
  },
  responses: {
    200: jsonContent(ResultSchema, "The evaluation, stored on the wallet"),
    ...errorResponses(400, 404, 503),
  },
});

async function recordedTrades(env: Env, address: string): Promise<LeaderTrade[]> {
  const rows = await getDb(env.DB)
    .select()
    .from(signals)
    .where(
      and(
        eq(signals.wallet_address, address),
        inArray(signals.signal_type, ["buy", "sell"]),
        isNotNull(signals.token_mint),
        isNotNull(signals.block_time),
      ),
    );
  return rows.flatMap((s) => {
    const time = Date.parse(String(s.block_time));
    if (!Number.isFinite(time) || s.token_amount == null || s.token_decimals == null) return [];
    return [
      {
        signature: s.transaction_signature,
        side: s.signal_type as "buy" | "sell",
        mint: s.token_mint as string,
        time_s: time / 1000,
        slot: s.slot ?? 0,
        token_ui: Number(s.token_amount) / 10 ** s.token_decimals,
        price_sol: s.price_sol,
        price_usd: s.price_usd,
      },
    ];
  });
}

async function backfilledTrades(env: Env, address: string, limit: number): Promise<LeaderTrade[]> {
  const sigs = (await getRecentSignatures(env, address, limit)).filter((s) => s.succeeded).map((s) => s.signature);
  const out: LeaderTrade[] = [];
  for (const batch of chunks(sigs, HELIUS_MAX_PARSE)) {
    for (const raw of await parseTransactions(env, batch)) {
      const tx = HeliusTxSchema.safeParse(raw);
      if (!tx.success) continue;
      const c = classify(tx.data, address);
      if (c.signal_type === "other" || !c.token_mint || c.token_ui_amount == null) continue;
      const px = withSolPrice(c, null);
      out.push({
        signature: tx.data.signature,
        side: c.signal_type,
        mint: c.token_mint,
        time_s: tx.data.timestamp,
        slot: tx.data.slot ?? 0,
        token_ui: c.token_ui_amount,
        price_sol: px.price_sol,
        price_usd: px.price_usd,
      });
    }
  }
  return out;
}

export const walletEvaluationRouter = createRouter().openapi(route, async (c) => {
  const db = getDb(c.env.DB);
  const wallet = await findWallet(db, c.req.valid("param").id_or_address);
  const body = c.req.valid("json");
  const template = await loadTemplate(db, body.strategy_id ?? wallet.exit_strategy_id ?? null);
  if (!template) throw new ApiError("NotFound", `strategy_id: no exit strategy ${body.strategy_id ?? "(default)"}`);
  const rules = mergeStrategy(template.rules, body.strategy);
  const problems = strategyProblems(rules);
  if (problems.length) throw new ApiError("ValidationError", problems.map((p) => `strategy.${p}`).join("; "));
  let trades: LeaderTrade[];
  try {
    trades =
      body.source === "backfill"
        ? await backfilledTrades(c.env, wallet.address, body.limit)
        : await recordedTrades(c.env, wallet.address);
  } catch (err) {
    // The chain or Helius failed: nothing is stored, the previous evaluation stands.
    if (err instanceof UpstreamError)
      throw new ApiError(
        "UpstreamUnavailable",
        `${err.service} unavailable (${err.kind}${err.status ? ` ${err.status}` : ""}); retry later`,
      );
    throw err;
  }
  const ev = evaluateLeader(trades, rules, await loadConfig(db));
  const at = nowIso();
  const row = await db
    .update(wallets)
    .set({
      initial_win_rate_percent: ev.win_rate_percent,
      initial_trades_observed: ev.trades_observed,
      evaluated_at: at,
      evaluation_strategy_id: template.id,
      evaluation_source: body.source,
      evaluation_trades: ev.trades_observed,
      evaluation_win_rate_percent: ev.win_rate_percent,
      updated_at: at,
    })
    .where(eq(wallets.id, wallet.id))
    .returning()
    .get();
  if (!row) throw new ApiError("NotFound", `no wallet ${wallet.id} on the watchlist`);
  const gate = liveGate(await liveGateInput(db, row));
  log.info("wallet_evaluated", {
    wallet_id: wallet.id,
    source: body.source,
    trades: ev.trades_observed,
    win_rate: ev.win_rate_percent,
  });
  return c.json(
    {
      wallet_id: wallet.id,
      address: wallet.address,
      source: body.source,
      strategy_id: template.id,
      evaluated_at: at,
      trades_read: trades.length,
      ...ev,
      live_gate: { ok: gate.ok, detail: gate.ok ? null : gate.detail },
    },
    200,
  );
});
