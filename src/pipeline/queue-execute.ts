import type { Config } from "../domain/config";
import { checkBookCaps } from "../domain/copy-rules";
import { type OpenPositionInput, positionIdFor } from "../domain/position";
import type { PriceQuote } from "../domain/price";
import type { SwapRequest } from "../domain/swap-order";
import { entryRefusal, priceWaitVerdict } from "../domain/swap-request";
import { log } from "../lib/logger";
import type { LiveQueueRunner, LiveSellable } from "./live-queue";
import { isLeaderExited } from "./queue-leader-exits";
import { type Outcome, simulatedBuyFilled, simulatedSellFilled } from "./queue-outcomes";
import { intentOwed, type QueueRow } from "./queue-storage";
import { type SimQuoteDeps, simulatedBuyFill, simulatedSellFill } from "./sim-quote";

/** How long an order waits for a missing price (or the book's first load) before it is tried again. */
export const PRICE_RETRY_MS = 5_000;

/** A failure that no retry can fix (bad order, no executor for the mode): dead-lettered at once. */
export class PermanentError extends Error {}

/** What one execution needs of the SwapQueue: its hot state, book, prices and live hand-off. */
export interface ExecuteDeps {
  /** Read at each use (a test may swap the actor's env). */
  env: () => Env;
  breakerOpen: () => Promise<boolean>;
  /** The book loaded (from D1 once); false while it cannot be. */
  bookReady: () => Promise<boolean>;
  exposure: () => { open_positions: number; exposure_usd: number };
  leaderExited: (orderId: string) => boolean;
  /** A live order's run (the D1 intent first, then the live runner). */
  live: (row: QueueRow, cfg: Config, sell?: LiveSellable) => Promise<Outcome>;
  quoteOf: (mint: string) => Promise<PriceQuote | null>;
  simQuotes: () => SimQuoteDeps;
  /** The template and versioned config a filled entry hands to its position. */
  positionStart: (strategyId: number | null) => Pick<OpenPositionInput, "template" | "hot">;
}

/**
 * A BUY: refused (breaker, leader exit, age, book caps) or filled, simulated here or handed to the live runner.
 * `started` is the execution's start (performance.now()), for the fill's latency.
 */
export async function executeBuy(
  d: ExecuteDeps,
  row: QueueRow,
  req: SwapRequest,
  cfg: Config,
  started: number,
): Promise<Outcome> {
  const entry = req.entry;
  if (!entry || !(req.requested_usd && req.requested_usd > 0)) throw new PermanentError("buy without entry details");
  const positionId = positionIdFor(row.order_id);
  const refusal = entryRefusal({
    priority: req.priority,
    breaker_open: req.priority === "normal" && (await d.breakerOpen()),
    leader_exited: d.leaderExited(row.order_id),
    leader_block_time: req.leader_block_time,
    now_ms: Date.now(),
    max_signal_age_seconds: cfg.max_signal_age_seconds,
  });
  if (refusal) return { kind: "cancelled", reason: refusal };
  // Entries run one at a time here, so this is where the book caps hold across leaders; the book is this
  // queue's own (every fill updates it in its own write), so a fill whose position is still owed counts.
  if (!(await d.bookReady())) return { kind: "wait", reason: "book not loaded", delay_ms: PRICE_RETRY_MS };
  const caps = checkBookCaps(cfg, d.exposure(), req.requested_usd);
  if (!caps.ok) {
    log.info("entry_refused_by_caps", { order_id: row.order_id, reason: caps.reason, detail: caps.detail });
    return { kind: "cancelled", reason: caps.reason };
  }
  if (req.mode !== "simulation") return d.live(row, cfg);
  const quote = await d.quoteOf(req.token_mint);
  if (!quote) {
    const v = priceWaitVerdict(req.leader_block_time, row.created_at_ms, Date.now(), cfg.max_signal_age_seconds);
    if (v === "price_unavailable") return { kind: "cancelled", reason: v };
    return { kind: "wait", reason: "price unavailable", delay_ms: PRICE_RETRY_MS };
  }
  const fill = await simulatedBuyFill(d.simQuotes(), cfg, {
    order_id: row.order_id,
    token_mint: req.token_mint,
    requested_usd: req.requested_usd,
    price_usd: quote.price_usd,
    decimals: entry.token_decimals,
  });
  // Checked again with no await before the fill: the leader may have sold while the price was read.
  if (d.leaderExited(row.order_id)) return { kind: "cancelled", reason: "leader_exited" };
  return simulatedBuyFilled(
    row,
    { ...req, entry },
    positionId,
    fill,
    performance.now() - started,
    d.positionStart(entry.exit_strategy_id),
  );
}

/** A SELL of what the position can sell now (nothing: cancelled), at its trigger price or the market's. */
export async function executeSell(
  d: ExecuteDeps,
  row: QueueRow,
  req: SwapRequest,
  cfg: Config,
  started: number,
): Promise<Outcome> {
  if (!req.position_id) throw new PermanentError("sell without position_id");
  const positionId = req.position_id;
  const actor = d.env().POSITION_ACTOR.getByName(positionId);
  const full = (req.sell_fraction ?? 0) >= 1;
  const sellable = await actor.sellable({
    order_id: row.order_id,
    amount: req.sell_amount,
    full,
  });
  if (BigInt(sellable.amount) <= 0n) return { kind: "cancelled", reason: "nothing_to_sell" };
  if (req.mode !== "simulation") return d.live(row, cfg, sellable);
  let price = req.trigger_price_usd;
  if (!(price && price > 0)) {
    const quote = await d.quoteOf(req.token_mint);
    if (!quote) return { kind: "wait", reason: "price unavailable", delay_ms: PRICE_RETRY_MS };
    price = quote.price_usd;
  }
  const fill = await simulatedSellFill(d.simQuotes(), cfg, {
    order_id: row.order_id,
    token_mint: req.token_mint,
    amount: BigInt(sellable.amount),
    price_usd: price,
    decimals: sellable.token_decimals,
  });
  return simulatedSellFilled(
    row,
    { ...req, position_id: positionId },
    sellable,
    fill,
    full,
    performance.now() - started,
  );
}

/**
 * A live order: its D1 intent must be written before any upstream call (DESIGN §1); then the live runner
 * (src/pipeline/live-queue.ts) runs or resumes it, taking a swap token right before each Jupiter quote.
 */
export async function executeLive(
  runner: LiveQueueRunner,
  sql: SqlStorage,
  row: QueueRow,
  cfg: Config,
  sell?: LiveSellable,
): Promise<Outcome> {
  if (!runner.started(row.order_id)) {
    if (intentOwed(sql, row.order_id)) return { kind: "wait", reason: "order intent not yet in D1", delay_ms: 1_000 };
  }
  const req = JSON.parse(row.request) as SwapRequest;
  return runner.run(row, req, cfg, sell, () =>
    req.side === "buy" && isLeaderExited(sql, row.order_id) ? "leader_exited" : null,
  );
}
