// A BUY's inbox row run to its end: the entry decision, taken once per row — gates in order (age, later sale,
// wallet, breaker, price, copy rules, token safety, decimals, sizing, exposure), each failing one finishing the
// signal filtered with its numbers — then its enqueue, retried while the trade is fresh. The actor passes its
// ports; the calls go through them so a test's patch on the instance is seen.
import type { SafetyOutcome } from "../db/token-safety";
import { type Classification, uiToBase, withSolPrice } from "../domain/classify";
import type { Config } from "../domain/config";
import { saleAfterBuy } from "../domain/copy-facts";
import { checkCopyRules, checkExposure, checkLeaderTradeSize, effectiveCopyRules } from "../domain/copy-rules";
import { entryRetryUntil, queueRefusal } from "../domain/entry-decision";
import type { HeliusTx } from "../domain/helius-tx";
import { entryTimeVerdict } from "../domain/signal-filters";
import { sizeEntry } from "../domain/sizing";
import type { EnqueueResult, SwapRequest } from "../domain/swap-order";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { SignalLog } from "./signal-log";
import type { SignalOutbox, SignalValues } from "./signal-outbox";
import type { WalletHotState } from "./wallet-hot-state";
import type { CancelledDecision, EntryDecision, Row } from "./wallet-inbox";
import type { InboxStore } from "./wallet-inbox-store";
import type { FinishSignal } from "./wallet-signals";

export interface CopyFacts {
  prior_entry_usd: number | null;
  last_exit_at_ms: number | null;
  open_positions: number;
  exposure_usd: number;
}

export interface EntryPorts {
  address(): string;
  classification(row: Row): { tx: HeliusTx; c: Classification };
  finish: FinishSignal;
  trades: SignalLog;
  hotState(address: string): Promise<WalletHotState>;
  /** Starts fetching a price the simulated fill will ask for; never awaited. */
  readAhead(mint: string): void;
  solUsd(): Promise<number | null>;
  copyFacts(address: string, mint: string, signature: string, cooldownSeconds: number): Promise<CopyFacts>;
  tokenSafety(mint: string, config: Config): Promise<SafetyOutcome>;
  tokenDecimals(mint: string): Promise<number | null>;
  outbox: SignalOutbox;
  /** Marks the decided values on a signal already in D1 (a row recorded by an older version). */
  updateSignal(id: number, values: Partial<SignalValues>): Promise<void>;
}

export async function decideEntry(p: EntryPorts, row: Row, config: Config): Promise<EntryDecision | null> {
  const address = p.address();
  const { tx, c } = p.classification(row);
  const mint = c.token_mint as string;
  // Checked again at decision time: a record delayed by retries must not turn into a late entry.
  const decidedAt = Date.now();
  const age = entryTimeVerdict(tx.timestamp, decidedAt, config.max_signal_age_seconds);
  if (age !== "ok") {
    await p.finish(row, { filter_reason: age }, `${age} when decided`, {
      signal_age_seconds: decidedAt / 1000 - tx.timestamp,
      max_signal_age_seconds: config.max_signal_age_seconds,
    });
    return null;
  }
  const laterSale = saleAfterBuy(p.trades.trades(mint, "sell"), {
    slot: tx.slot ?? null,
    block_time_ms: tx.timestamp * 1000,
  });
  if (laterSale) {
    await p.finish(row, { filter_reason: "leader_already_sold" }, `sold in ${laterSale}`);
    return null;
  }
  const { wallet, breaker } = await p.hotState(address);
  if (!wallet?.is_active) {
    await p.finish(row, { filter_reason: "inactive_wallet" });
    return null;
  }
  if (breaker.open) {
    await p.finish(row, { filter_reason: "circuit_breaker" }, breaker.reason ?? breaker.trigger ?? "open", {
      breaker_trigger: breaker.trigger,
      breaker_since: breaker.since,
    });
    return null;
  }
  const rules = effectiveCopyRules(config, wallet);
  // A SOL-quoted trade outside the wallet's size bounds is never copied: filtered before any lookup is asked
  // (the safety lookup and the price read-ahead cost upstream calls). A USD-quoted one needs the SOL price.
  const outside = c.sol_amount === null ? null : checkLeaderTradeSize(rules, c.sol_amount);
  if (outside) {
    const priced = withSolPrice(c, await p.solUsd());
    await p.finish(
      row,
      {
        sol_amount: priced.sol_amount,
        usd_amount: priced.usd_amount,
        price_sol: priced.price_sol,
        price_usd: priced.price_usd,
        filter_reason: outside.reason,
      },
      outside.detail,
      { leader_trade_sol: c.sol_amount, ...rules },
    );
    return null;
  }
  // The simulated fill will ask this mint's price: read it ahead now, while the SOL price, the copy facts,
  // the safety lookup and the queue run (issue 10). Not awaited; a failure only leaves the fill to ask.
  if (wallet.mode === "simulation") p.readAhead(mint);
  // The SOL price, the copy facts and the safety lookup do not depend on one another: asked together (issue
  // 10), then read in the order the checks take them; a check that filters early leaves the others unread.
  const factsAsked = p.copyFacts(address, mint, row.signature, rules.mint_cooldown_seconds);
  const safetyAsked = config.safety_check_enabled ? p.tokenSafety(mint, config) : null;
  factsAsked.catch(() => undefined); // awaited below unless filtered first; a failure there is the retry's
  safetyAsked?.catch(() => undefined);
  const solUsd = await p.solUsd();
  const priced = withSolPrice(c, solUsd);
  const priceFields = {
    sol_amount: priced.sol_amount,
    usd_amount: priced.usd_amount,
    price_sol: priced.price_sol,
    price_usd: priced.price_usd,
  };
  if (priced.sol_amount === null) {
    await p.finish(row, { ...priceFields, filter_reason: "price_unavailable" }, "USD-quoted trade, no SOL price");
    return null;
  }

  const facts = await factsAsked;
  const verdict = checkCopyRules(rules, { ...facts, leader_trade_sol: priced.sol_amount, now_ms: Date.now() });
  if (!verdict.ok) {
    await p.finish(row, { ...priceFields, filter_reason: verdict.reason }, verdict.detail, {
      leader_trade_sol: priced.sol_amount,
      ...rules,
      open_positions: facts.open_positions,
      last_exit_at: facts.last_exit_at_ms === null ? null : nowIso(facts.last_exit_at_ms),
    });
    return null;
  }

  let safetyScore: number | null = null;
  let decimals = c.token_decimals;
  if (safetyAsked) {
    const safety = await safetyAsked;
    decimals ??= safety.decimals;
    if (safety.status === "unavailable") {
      await p.finish(row, { ...priceFields, filter_reason: "safety_unavailable" }, safety.detail);
      return null;
    }
    safetyScore = safety.result.score;
    if (!safety.result.passed) {
      await p.finish(
        row,
        { ...priceFields, safety_score: safetyScore, filter_reason: "safety_check_failed" },
        JSON.stringify(safety.result.checks),
        {
          score: safetyScore,
          safety_threshold: config.safety_threshold,
          checks: safety.result.checks,
          inputs: safety.inputs,
          limits: {
            min_liquidity_usd: config.min_liquidity_usd,
            max_top10_holder_percent: config.max_top10_holder_percent,
            min_token_age_hours: config.min_token_age_hours,
            max_transfer_fee_bps: config.max_transfer_fee_bps,
          },
        },
      );
      return null;
    }
  }
  if (decimals === null) decimals = await p.tokenDecimals(mint);
  if (decimals === null) {
    await p.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: "token_decimals_unknown" });
    return null;
  }

  const size = sizeEntry(config, wallet, {
    leader_sol: priced.sol_amount,
    leader_usd: priced.usd_amount,
    sol_usd: solUsd,
    rebuy:
      verdict.rebuy && facts.prior_entry_usd !== null
        ? { first_entry_usd: facts.prior_entry_usd, percent: rules.rebuy_size_percent }
        : null,
  });
  if (!size.ok) {
    await p.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: size.reason }, size.detail, {
      leader_sol: priced.sol_amount,
      leader_usd: priced.usd_amount,
      sol_usd: solUsd,
    });
    return null;
  }
  if (!(size.usd > 0)) {
    await p.finish(row, { ...priceFields, safety_score: safetyScore, filter_reason: "position_size_zero" });
    return null;
  }
  const exposure = checkExposure(rules, facts.exposure_usd, size.usd);
  if (!exposure.ok) {
    await p.finish(
      row,
      { ...priceFields, safety_score: safetyScore, filter_reason: exposure.reason },
      exposure.detail,
      {
        entry_usd: size.usd,
        exposure_usd: facts.exposure_usd,
        max_total_exposure_usd: rules.max_total_exposure_usd,
        open_positions: facts.open_positions,
        max_open_positions: rules.max_open_positions,
      },
    );
    return null;
  }
  // The decision is on the signal before the enqueue: an operator sees what was intended even if the
  // queue is down (the inbox keeps retrying it).
  // Decimals learnt from the token data complete the exact amount the payload could not give.
  const amount =
    c.token_amount ?? (c.token_ui_amount !== null ? uiToBase(c.token_ui_amount, decimals).toString() : null);
  const decided = {
    ...priceFields,
    token_decimals: decimals,
    token_amount: amount,
    safety_score: safetyScore,
    entry_usd: size.usd,
    filtered: false,
    filter_reason: null,
  };
  if (!p.outbox.merge(row.signature, decided) && row.signal_id !== null) await p.updateSignal(row.signal_id, decided); // recorded by an older version
  return {
    kind: "entry",
    request: {
      // Keyed by the transaction: the SwapQueue dedupes by key, so the actors of two watched wallets in one
      // transaction trade it once.
      idempotency_key: `entry:${row.signature}`,
      side: "buy",
      priority: "normal",
      mode: wallet.mode,
      token_mint: mint,
      wallet_id: wallet.id,
      signal_signature: row.signature,
      reason: "entry",
      leader_block_time: tx.timestamp,
      ...(tx.slot !== undefined ? { leader_slot: tx.slot } : {}),
      requested_usd: size.usd,
      entry: {
        source_wallet_address: address,
        exit_strategy_id: wallet.exit_strategy_id,
        token_decimals: decimals,
        leader_price_usd: priced.price_usd,
      },
    },
  };
}

/** What running a BUY's row needs beyond its decision: the inbox (the row as stored now, its decision kept), the enqueue. */
export interface BuyPorts extends EntryPorts {
  inbox: InboxStore;
  enqueueEntry(req: SwapRequest): Promise<EnqueueResult>;
}

/** BUY: breaker → copy rules → token safety → sizing → exposure → enqueue a NORMAL entry. */
export async function processBuy(p: BuyPorts, row: Row, config: Config) {
  // An entry is retried while the trade is still fresh — for as long again as max_signal_age_seconds after
  // its reception — then given up (WallTrack never chases an old trade). Exits are retried forever.
  const retryUntil = entryRetryUntil(row.received_at_ms, config.max_signal_age_seconds);
  const current = p.inbox.row(row.signature)?.decision ?? row.decision; // a SELL may have cancelled it since
  const stored = current ? (JSON.parse(current) as EntryDecision | CancelledDecision) : null;
  if (stored?.kind === "cancelled") {
    await p.finish(row, { filter_reason: stored.reason }, `the leader sold the mint (${stored.by})`);
    return;
  }
  let decision = stored;
  if (!decision) {
    decision = await decideEntry(p, row, config);
    if (!decision) return; // filtered and finished
    p.inbox.saveDecision(row.signature, decision);
    // Counted as this leader's entry in the mint from now on, while its enqueue is retried too.
    p.trades.entered(row.signature, decision.request.requested_usd ?? null, null);
  }
  try {
    const result = await p.enqueueEntry(decision.request);
    // The queue may refuse the entry itself (its own breaker gate): the signal says why.
    const cancelled = queueRefusal(result);
    // A refused entry is no first entry (a later BUY of the mint may go); a queued one names its order.
    p.trades.entered(row.signature, cancelled ? null : (decision.request.requested_usd ?? null), result.order_id);
    await p.finish(
      row,
      { order_id: result.order_id, entry_usd: decision.request.requested_usd ?? null, filter_reason: cancelled },
      cancelled ? "cancelled by the SwapQueue" : undefined,
    );
    log.debug("entry_enqueued", { signature: row.signature, order_id: result.order_id, duplicate: result.duplicate });
  } catch (err) {
    if (Date.now() > retryUntil) {
      p.trades.entered(row.signature, null, null);
      await p.finish(row, { filter_reason: "enqueue_failed" }, errorMessage(err));
      return;
    }
    throw err;
  }
}
