// A leader SELL's inbox row run to its end: the mirror-exit decision, taken once per row — the copies it reaches
// (in the inbox, in the SwapQueue, open) and the fraction to sell — then the exit asked of each position. The
// actor passes its ports; the calls go through them so a test's patch on the instance is seen.
import { type Classification, withSolPrice } from "../domain/classify";
import { inboxRowOnSale, nothingToMirror, saleTimeSeconds } from "../domain/exit-decision";
import type { HeliusTx } from "../domain/helius-tx";
import {
  type ChainPoint,
  chainMayMatter,
  holdingBefore,
  leaderEmptiedInTx,
  mirrorFraction,
} from "../domain/leader-timeline";
import type { LeaderSaleNotice, LeaderSaleResult, MirrorExitRequest, MirrorExitResult } from "../domain/swap-order";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { OpenCopies, OpenCopiesQuery } from "./queue-facts";
import type { SignalLog } from "./signal-log";
import type { ExitDecision, Row } from "./wallet-inbox";
import type { InboxStore } from "./wallet-inbox-store";
import type { FinishSignal } from "./wallet-signals";

export interface ExitPorts {
  /** Marks the leader's earlier BUYs of the mint still in the inbox cancelled; their signatures. */
  cancelInboxEntries(saleSignature: string, mint: string, sale: ChainPoint): string[];
  entriesLeaderSold(notice: LeaderSaleNotice): Promise<LeaderSaleResult>;
  queueOpenCopies(q: OpenCopiesQuery): Promise<OpenCopies | null>;
  openCopiesFromD1(address: string, mint: string, soldAt: string): Promise<string[]>;
  trades: SignalLog;
  leaderTokenBalance(owner: string, mint: string): Promise<bigint>;
}

/**
 * Decides a SELL once: which copies it reaches and the fraction to sell.
 *
 * Copies: entries of this leader for the mint made before the sale in chain order. Those still in this inbox
 * are marked cancelled first, synchronously (no later step of this actor can enqueue them); the SwapQueue
 * cancels those it holds unexecuted and names the ones executing or filled; D1 gives the open positions.
 *
 * Fraction (src/domain/leader-timeline.ts): the leader's holding before the sale from its recorded trades in
 * chain order (slot, then block time), checked against the chain (balance after + sold); a transaction or a
 * chain showing it left with nothing is a full exit; nothing known is a full exit (the side of the risk that
 * cannot lose more than the position holds). `leader_balance_before` records the denominator used.
 */
export async function decideExit(
  p: ExitPorts,
  address: string,
  tx: HeliusTx,
  c: Classification,
  row: Row,
): Promise<ExitDecision> {
  const mint = c.token_mint as string;
  // A block time in the future is not trusted to order the sale: it is taken as made when received.
  const saleS = saleTimeSeconds(tx.timestamp, row.received_at_ms);
  const sale = { slot: tx.slot ?? null, block_time_ms: saleS * 1000 };
  const soldAt = nowIso(saleS * 1000);

  const cancelledInbox = p.cancelInboxEntries(row.signature, mint, sale);
  const queued = await p.entriesLeaderSold({
    leader_address: address,
    token_mint: mint,
    slot: sale.slot,
    block_time: saleS,
    signal_id: row.signal_id,
    signal_signature: row.signature,
  });

  // Only positions copied from a leader BUY made before this SELL: a sale recovered late (backfill) must not
  // close what was copied from the leader's later re-entry. A position of unknown origin is still mirrored.
  // The SwapQueue's book names the open copies (one RPC); D1 only for positions older than the book.
  const copies = await p.queueOpenCopies({ leader_address: address, token_mint: mint, sold_at_ms: saleS * 1000 });
  const open = copies?.complete ? copies.position_ids : await p.openCopiesFromD1(address, mint, soldAt);
  const positionIds = [...new Set([...open, ...queued.in_flight.map((f) => f.position_id)])];

  // The leader's holding before the sale, from this actor's own log of its trades in the mint.
  const history = p.trades.trades(mint).filter((h) => h.signature !== row.signature);
  const held = holdingBefore(
    history.map((h) => ({
      type: h.type,
      amount: h.amount,
      slot: h.slot,
      block_time_ms: h.block_time_ms,
      seq: h.seq,
    })),
    { ...sale, seq: p.trades.seqOf(row.signature) ?? Number.MAX_SAFE_INTEGER },
  );
  const sold = c.token_amount && /^\d+$/.test(c.token_amount) ? BigInt(c.token_amount) : null;
  const facts = { sold, history_before: held, emptied_in_tx: leaderEmptiedInTx(tx, address, mint) };
  let chainAfter: bigint | null = null;
  if (positionIds.length > 0 && chainMayMatter(facts)) {
    try {
      chainAfter = await p.leaderTokenBalance(address, mint);
    } catch (err) {
      log.warn("leader_balance_unavailable", { address, mint, error: errorMessage(err) });
    }
  }
  const { fraction, before } = mirrorFraction({ ...facts, chain_after: chainAfter });
  return {
    kind: "exit",
    fraction,
    leader_balance_before: before === null ? null : before.toString(),
    position_ids: positionIds,
    done: [],
    order_id: null,
    cancelled_entries: [...cancelledInbox, ...queued.cancelled.map((e) => e.order_id)],
  };
}

/** What running a SELL's row needs beyond its decision. */
export interface SellPorts extends ExitPorts {
  address(): string;
  classification(row: Row): { tx: HeliusTx; c: Classification };
  inbox: InboxStore;
  finish: FinishSignal;
  solUsd(): Promise<number | null>;
  mirrorExit(positionId: string, req: MirrorExitRequest): Promise<MirrorExitResult>;
}

/**
 * SELL: mirror the leader's exit on every copy of its earlier BUYs of the mint (issue 9, DESIGN §4): the open
 * positions, and the entries still in flight — in this inbox (cancelled before they are enqueued), waiting in
 * the SwapQueue (cancelled there), or executing / filled and not yet open (their PositionActor keeps the exit
 * owed until it opens).
 */
export async function processSell(p: SellPorts, row: Row) {
  const address = p.address();
  const { tx, c } = p.classification(row);
  let decision = row.decision ? (JSON.parse(row.decision) as ExitDecision) : null;
  if (!decision) {
    decision = await decideExit(p, address, tx, c, row);
    p.inbox.saveDecision(row.signature, decision);
  }
  if (decision.position_ids.length === 0) {
    // A sale that cancelled in-flight entries did its job; otherwise nothing was there to mirror.
    await p.finish(row, {
      ...(await pricedFields(p, c)),
      leader_balance_before: decision.leader_balance_before,
      filter_reason: nothingToMirror(decision.cancelled_entries?.length ?? 0, !!row.wallet_active),
    });
    return;
  }
  for (const id of decision.position_ids) {
    if (decision.done.includes(id)) continue;
    const res = await p.mirrorExit(id, {
      // The signature keys the exit; a row recorded by an older version keeps its signal id (same key as before).
      ...(row.signal_id !== null ? { signal_id: row.signal_id } : {}),
      transaction_signature: row.signature,
      leader_address: address,
      token_mint: c.token_mint as string,
      fraction: decision.fraction,
    });
    decision.done.push(id);
    decision.order_id ??= res.order_id ?? null;
    p.inbox.saveDecision(row.signature, decision); // progress survives a failure on the next position
  }
  // The USD side is filled in after the exits were asked for: they must not wait on a price.
  await p.finish(row, {
    ...(await pricedFields(p, c)),
    leader_balance_before: decision.leader_balance_before,
    order_id: decision.order_id,
  });
}

/** The signal's SOL / USD amounts and prices with the SOL price when available (null parts otherwise). */
async function pricedFields(p: Pick<SellPorts, "solUsd">, c: Classification) {
  const priced = withSolPrice(c, await p.solUsd());
  return {
    sol_amount: priced.sol_amount,
    usd_amount: priced.usd_amount,
    price_sol: priced.price_sol,
    price_usd: priced.price_usd,
  };
}

/**
 * Marks this leader's BUYs of the mint still in the inbox — delivered before the SELL, made before it on chain —
 * as cancelled `leader_exited`. Synchronous: the alarm finishes them without enqueuing. (A BUY delivered after
 * the SELL is filtered `leader_already_sold` when decided.) Returns their signatures.
 */
export function cancelInboxEntries(
  inbox: InboxStore,
  address: string,
  saleSignature: string,
  mint: string,
  sale: ChainPoint,
): string[] {
  const out: string[] = [];
  for (const r of inbox.possibleBuysBefore(saleSignature)) {
    const verdict = inboxRowOnSale(r, address, mint, sale, saleSignature);
    if (verdict === "keep") continue;
    if (verdict === "cancel")
      inbox.saveDecision(r.signature, { kind: "cancelled", reason: "leader_exited", by: saleSignature });
    out.push(r.signature);
  }
  if (out.length) log.info("entries_cancelled_leader_exited", { sale: saleSignature, entries: out });
  return out;
}
