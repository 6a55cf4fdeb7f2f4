// A leader SELL's mirror-exit decision, taken once per inbox row: the copies it reaches (in the inbox, in the
// SwapQueue, open) and the fraction to sell. The actor passes its ports; the calls go through them so a test's
// patch on the instance is seen.
import type { Classification } from "../domain/classify";
import { saleTimeSeconds } from "../domain/exit-decision";
import type { HeliusTx } from "../domain/helius-tx";
import {
  type ChainPoint,
  chainMayMatter,
  holdingBefore,
  leaderEmptiedInTx,
  mirrorFraction,
} from "../domain/leader-timeline";
import type { LeaderSaleNotice, LeaderSaleResult } from "../domain/swap-order";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { OpenCopies, OpenCopiesQuery } from "./queue-facts";
import type { SignalLog } from "./signal-log";
import type { ExitDecision, Row } from "./wallet-inbox";

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
