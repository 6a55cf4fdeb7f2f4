// The WalletActor's flush of its signal outbox to D1 (src/pipeline/signal-outbox.ts), one at a time per actor.
import type { Db } from "../db/client";
import { CoalescedRun } from "../lib/coalesced-run";
import { errorMessage } from "../lib/error-message";
import { log } from "../lib/logger";
import { type QueuedSignal, type SignalOutbox, type WriteUnit, writeSignals } from "./signal-outbox";

export class SignalFlush {
  /** One flush at a time; signals queued while it runs go in its next pass. */
  private readonly runs = new CoalescedRun();

  constructor(
    private readonly outbox: SignalOutbox,
    private readonly db: () => Db,
    /** The batch's writer: the shared D1 writer (src/pipeline/shared-d1-write.ts). */
    private readonly write: WriteUnit,
    /** Keeps the actor's alarm armed for signals a failed flush backed off. */
    private readonly armAlarm: (at: number) => Promise<void>,
  ) {}

  /**
   * Writes the queued signals to D1: a call while one runs waits for it and one more pass. A failure backs the
   * signals off and keeps the alarm armed for them; it never fails the decision that queued them.
   */
  run(now?: number): Promise<void> {
    return this.runs.run(async () => {
      const at = now ?? Date.now();
      for (let due: QueuedSignal[] = this.outbox.due(at); due.length > 0; due = this.outbox.due(at)) {
        try {
          await writeSignals(this.db(), due, this.write);
        } catch (err) {
          this.outbox.failed(
            due.map((d) => d.signature),
            Date.now(),
          );
          log.warn("signal_flush_failed", { signals: due.length, error: errorMessage(err).split("\n")[0] });
          const owed = this.outbox.soonest();
          if (owed != null) await this.armAlarm(owed);
          return false;
        }
        this.outbox.written(due.map((d) => d.signature));
      }
    });
  }
}
