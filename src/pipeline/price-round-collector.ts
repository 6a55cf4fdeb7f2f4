import type { PriceMap } from "../domain/price";

/**
 * Coalescing of the PriceFeed's requests into upstream rounds. A round is flushed when no new mint arrived for
 * COLLECT_IDLE_MS (READ_AHEAD_IDLE_MS when it holds a read-ahead), or COLLECT_MAX_MS after its first request;
 * requests that arrive while a round is in flight join the next one (one upstream round at a time). A hold
 * (`hold`/`release`) keeps every round collecting until released, so a caller can make a round's size
 * independent of how fast its requests arrive.
 */
const COLLECT_IDLE_MS = 15;
/**
 * The idle window of a round that holds a read-ahead: a fill will ask for that price within milliseconds, so
 * the round goes almost at once, still catching the read-aheads of a burst sent in the same few ms (issue 10).
 */
const READ_AHEAD_IDLE_MS = 2;
const COLLECT_MAX_MS = 150;
// A held round is flushed after this at the latest, so a caller that never releases cannot stall prices.
const HOLD_MAX_MS = 60_000;

export interface Waiter {
  mints: string[];
  /** A read-ahead (readAhead): its mints are fetched for no request of this round. */
  ahead?: true;
  resolve: (m: PriceMap) => void;
  reject: (e: unknown) => void;
}

export interface Batch {
  mints: Set<string>;
  waiters: Waiter[];
  startedAt: number;
  idleTimer: ReturnType<typeof setTimeout> | null;
  maxTimer: ReturnType<typeof setTimeout> | null;
}

export class PriceRoundCollector {
  collecting: Batch | null = null;
  inFlight: Promise<void> | null = null;
  /**
   * Mints the upstream round in flight fetches for no request of it (piggybacked or read ahead): a request for
   * one of them waits for that round, no new call.
   */
  readonly inFlightExtra = new Set<string>();
  private held: ReturnType<typeof setTimeout> | null = null;

  /** `resolve` runs one round upstream and answers its waiters. */
  constructor(private readonly resolve: (batch: Batch) => Promise<void>) {}

  get isHeld(): boolean {
    return this.held !== null;
  }

  /** The round collecting now (a new one if none is). */
  batch(): Batch {
    if (!this.collecting)
      this.collecting = { mints: new Set(), waiters: [], startedAt: Date.now(), idleTimer: null, maxTimer: null };
    return this.collecting;
  }

  /** (Re)starts the round's idle window, and its max window if not yet started. */
  arm(batch: Batch) {
    if (batch.idleTimer) clearTimeout(batch.idleTimer);
    const idle = batch.waiters.some((w) => w.ahead) ? READ_AHEAD_IDLE_MS : COLLECT_IDLE_MS;
    batch.idleTimer = setTimeout(() => this.flush(batch), idle);
    if (!batch.maxTimer) batch.maxTimer = setTimeout(() => this.flush(batch), COLLECT_MAX_MS);
  }

  /** Holds every flush until `release()` (or HOLD_MAX_MS). In memory only, like the rounds themselves. */
  hold() {
    if (this.held) clearTimeout(this.held);
    this.held = setTimeout(() => this.release(), HOLD_MAX_MS);
  }

  /** Ends a hold and sends the collected round now; returns how many requests it held. */
  release(): number {
    const waiting = this.collecting?.waiters.length ?? 0;
    if (this.held) clearTimeout(this.held);
    this.held = null;
    if (this.collecting) this.flush(this.collecting);
    return waiting;
  }

  private flush(batch: Batch) {
    if (this.collecting !== batch) return; // already flushed by the other timer
    if (this.held) return; // release() flushes it
    if (batch.idleTimer) clearTimeout(batch.idleTimer);
    if (batch.maxTimer) clearTimeout(batch.maxTimer);
    if (this.inFlight) {
      // One upstream round at a time: this batch keeps collecting and goes when the current one ends.
      this.inFlight.finally(() => this.flush(batch));
      return;
    }
    this.collecting = null;
    this.inFlight = this.resolve(batch).finally(() => {
      this.inFlight = null;
      this.inFlightExtra.clear();
    });
  }
}
