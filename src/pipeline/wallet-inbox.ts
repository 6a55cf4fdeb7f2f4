// The WalletActor's inbox rows (its SQLite table `inbox`) and the decisions stored on them.
import type { SwapRequest } from "../domain/swap-order";

/** Retry state of one inbox row, exposed for operators and tests. */
export interface InboxRow {
  signature: string;
  /**
   * received → recorded → done along the normal path. A row whose processing kept failing is parked after
   * MAX_INBOX_ATTEMPTS: `parking` while its filtered signal (`invalid_transaction`) is still owed to D1,
   * then `dead` — kept, listed by the API, retried only when the operator asks.
   */
  state: "received" | "recorded" | "done" | "parking" | "dead";
  signal_id: number | null;
  signal_type: string | null;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  decision: EntryDecision | ExitDecision | CancelledDecision | null;
}

/** An entry decided once (gates passed, size fixed) and kept, so an enqueue retry sends the same order. */
export interface EntryDecision {
  kind: "entry";
  request: SwapRequest;
}
/** A mirror exit decided once; `done` lists the positions whose actor already took it. */
export interface ExitDecision {
  kind: "exit";
  fraction: number;
  leader_balance_before: string | null;
  /** Open positions and the positions of in-flight entries (executing or filled), all owed the mirror exit. */
  position_ids: string[];
  done: string[];
  order_id: string | null;
  /** In-flight entries this sale cancelled: inbox signatures and SwapQueue order ids. */
  cancelled_entries?: string[];
}
/** A BUY still in the inbox when its leader sold the mint: finished `leader_exited`, never enqueued. */
export interface CancelledDecision {
  kind: "cancelled";
  reason: "leader_exited";
  /** The SELL's signature. */
  by: string;
}

/** An inbox row as stored. */
export type Row = {
  signature: string;
  payload: string;
  received_at_ms: number;
  wallet_id: number | null;
  wallet_active: number;
  state: InboxRow["state"];
  signal_id: number | null;
  signal_type: string | null;
  decision: string | null;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
};
