// The signal a WalletActor inbox row gives D1: its values when recorded (a draft, or final when filtered at once),
// its decision when finished, its placeholder when parked. Each reaches D1 once, behind the decision
// (signal-outbox.ts); only a row recorded by an older version has its signal in D1 already, marked in place.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { signals } from "../db/schema";
import { type Classification, classify, withSolPrice } from "../domain/classify";
import type { Config } from "../domain/config";
import type { HeliusTx } from "../domain/helius-tx";
import { filterDetail, parsePayload, recordFilter } from "../domain/record-filter";
import type { FilterReason } from "../domain/signal-filters";
import { signalVerdict } from "../domain/signal-verdict";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import type { SignalLog } from "./signal-log";
import { type SignalOutbox, type SignalValues, writeSignals } from "./signal-outbox";
import type { Row } from "./wallet-inbox";
import type { InboxStore } from "./wallet-inbox-store";

/** The actor's state and D1 writes a row's signal goes through. */
export interface SignalPorts {
  address(): string;
  inbox: InboxStore;
  outbox: SignalOutbox;
  trades: SignalLog;
  /** One storage transaction of the actor (storage.transactionSync). */
  transactionSync(fn: () => void): void;
  db(): Db;
}

/** The finish of a row's signal as the decisions call it (finishSignal with the actor's ports). */
export type FinishSignal = (
  row: Row,
  fields: Partial<SignalValues> & { filter_reason?: FilterReason | null },
  detail?: string,
  numbers?: Record<string, unknown>,
) => Promise<void>;

/** Marks values on a signal already in D1: only a row recorded by an older version has one before its decision. */
export async function markSignal(db: Db, id: number, values: Partial<SignalValues>) {
  await db.update(signals).set(values).where(eq(signals.id, id));
}

export function recordedSignal(
  row: Row,
  address: string,
  tx: HeliusTx | null,
  c: Classification | null,
  filter: FilterReason | null,
  maxSignalAgeSeconds: number,
  now: number,
) {
  const receivedIso = nowIso(row.received_at_ms);
  const priced = c ? withSolPrice(c, null) : null;
  return {
    transaction_signature: row.signature,
    wallet_id: row.wallet_id,
    wallet_address: address,
    signal_type: c?.signal_type ?? "other",
    token_mint: c?.token_mint ?? null,
    quote_mint: c?.quote_mint ?? null,
    token_amount: c?.token_amount ?? null,
    token_decimals: c?.token_decimals ?? null,
    quote_amount: c?.quote_amount ?? null,
    sol_amount: priced?.sol_amount ?? null,
    usd_amount: priced?.usd_amount ?? null,
    price_sol: priced?.price_sol ?? null,
    price_usd: priced?.price_usd ?? null,
    helius_type: tx?.type ?? null,
    helius_source: tx?.source ?? null,
    slot: tx?.slot ?? null,
    block_time: tx ? nowIso(tx.timestamp * 1000) : null,
    filtered: filter !== null,
    filter_reason: filter,
    filter_detail:
      tx && (filter === "stale_signal" || filter === "invalid_timestamp")
        ? filterDetail(undefined, {
            signal_age_seconds: row.received_at_ms / 1000 - tx.timestamp,
            max_signal_age_seconds: maxSignalAgeSeconds,
          })
        : null,
    webhook_received_at: receivedIso,
    processed_at: filter ? nowIso(now) : null,
    processing_duration_ms: filter ? now - row.received_at_ms : null,
    raw_payload: row.payload,
  };
}

/** Classifies the transaction and keeps its signal's values (idempotent: the signature is unique in D1). */
export function recordSignal(p: SignalPorts, row: Row, config: Config) {
  const address = p.address();
  const parsed = parsePayload(row.payload);
  const tx: HeliusTx | null = parsed.success ? parsed.data : null;
  const c: Classification | null = tx ? classify(tx, address) : null;
  const filter = recordFilter(tx, c, !!row.wallet_active, row.received_at_ms, config.max_signal_age_seconds);
  const values = recordedSignal(row, address, tx, c, filter, config.max_signal_age_seconds, Date.now());
  const type = values.signal_type as string;
  const final = filter !== null;
  // One storage transaction: the signal's values (a draft, or final when filtered here), the leader's trade
  // log and the row's state. No D1: the signal reaches D1 once, behind the decision (signal-outbox.ts).
  // Only from 'received': a slower concurrent record (ingest vs alarm) must not reopen a finished row.
  p.transactionSync(() => {
    if (p.inbox.row(row.signature)?.state !== "received") return;
    p.outbox.draft(values);
    if (final) p.outbox.queue(row.signature, {});
    // The decisions' own history of this leader.
    if (c && tx && c.token_mint && (type === "buy" || type === "sell"))
      p.trades.note({
        signature: row.signature,
        type,
        mint: c.token_mint,
        amount: c.token_amount,
        slot: tx.slot ?? null,
        block_time_ms: tx.timestamp * 1000,
        received_ms: row.received_at_ms,
      });
    p.inbox.markRecorded(row.signature, final, type);
  });
  log.debug("signal_recorded", { signature: row.signature, wallet: address, type, filter_reason: filter });
}

/**
 * Decides the signal: filtered with a reason, or passed with its entry / exit. Its final values are queued
 * for their one D1 insert in the same storage write that finishes the row (the flush follows on the chain).
 */
export async function finishSignal(
  p: SignalPorts,
  row: Row,
  fields: Partial<SignalValues> & { filter_reason?: FilterReason | null },
  detail?: string,
  numbers?: Record<string, unknown>,
) {
  const now = Date.now();
  const { filter_reason, filtered, ...rest } = fields;
  const final = {
    ...rest,
    ...signalVerdict(filter_reason, filtered, detail, numbers),
    processed_at: nowIso(now),
    processing_duration_ms: now - row.received_at_ms,
  };
  let queued = false;
  p.transactionSync(() => {
    queued = p.outbox.queue(row.signature, final);
    if (queued || row.signal_id === null) p.inbox.setState(row.signature, "done");
  });
  if (!queued && row.signal_id !== null) {
    // A row recorded by an older version: its signal is already in D1 (inserted before the decision), so the
    // decision can only be marked on it. Rows recorded from this version on are insert-only.
    await markSignal(p.db(), row.signal_id, final);
    p.inbox.setState(row.signature, "done");
  }
  if (fields.filter_reason)
    log.info("signal_filtered", { signature: row.signature, reason: fields.filter_reason, detail });
}

/**
 * Writes the parked row's signal as filtered `invalid_transaction` (its payload kept), then marks it dead.
 * A row that never got a signal (its classification or timestamp threw) gets a minimal one; one that had a
 * signal gets that signal marked. A failure here is retried by the alarm, the row staying `parking`.
 */
export async function recordParkedSignal(p: SignalPorts, r: Row, now: number) {
  const address = p.address();
  const processed = { processed_at: nowIso(now), processing_duration_ms: now - r.received_at_ms };
  try {
    const id = r.signal_id;
    if (id !== null) {
      // A row recorded by an older version (its signal inserted before the decision): marked in place. The
      // one UPDATE of a signal left in this actor, for rows that predate the write-behind.
      await markSignal(p.db(), id, { filtered: true, filter_reason: "invalid_transaction", ...processed });
    } else {
      // The signal as recorded (its classification kept) or, never recorded, a minimal one; the draft stays
      // a draft, so an operator's requeue decides it and replaces this placeholder (signal-outbox.ts).
      const base: SignalValues = p.outbox.values(r.signature) ?? {
        transaction_signature: r.signature,
        wallet_id: r.wallet_id,
        wallet_address: address,
        signal_type: "other",
        webhook_received_at: nowIso(r.received_at_ms),
        raw_payload: r.payload,
      };
      const placeholder = { ...base, filtered: true, filter_reason: "invalid_transaction", ...processed };
      await writeSignals(p.db(), [
        { signature: r.signature, values: placeholder, replacePlaceholder: false, attempts: 0 },
      ]);
    }
    p.inbox.markDead(r.signature);
    log.info("signal_filtered", { signature: r.signature, reason: "invalid_transaction", detail: r.last_error });
  } catch (err) {
    // First line only: a failed Drizzle query's message goes on to list its parameters (the whole payload).
    log.warn("inbox_park_record_failed", { signature: r.signature, error: errorMessage(err).split("\n")[0] });
    p.inbox.retryParkingAt(r.signature, now + 60_000);
  }
}
