import { DurableObject } from "cloudflare:workers";
import { batchThenEach } from "../src/lib/batch-then-each";
import { CoalescedRun } from "../src/lib/coalesced-run";
import { errorChain } from "../src/lib/error-message";
import { log } from "../src/lib/logger";
import type { RawStatement, WriteOutcome } from "../src/pipeline/shared-d1-write";

/** Statements per D1 batch: a pass takes whole callers' units until it reaches this many (at least one). */
export const MAX_BATCH_STATEMENTS = 100;

export interface WriterStats {
  batches: number;
  statements: number;
  /** Callers' units D1 refused (each caller retries its own). */
  failed_units: number;
  /** Units waiting for the batch in flight. */
  waiting: number;
  last_failure: { at: string; error: string } | null;
}

interface Waiting {
  stmts: RawStatement[];
  done: (outcome: WriteOutcome) => void;
}

/**
 * D1Writer: the one object (`d1WriterOf(env)`) that writes the read model's behind-the-decision rows to D1,
 * issue 10 (src/pipeline/shared-d1-write.ts). It keeps nothing: each caller holds what it owes until its
 * call resolves, so an eviction here fails the calls in flight and their callers retry them.
 *
 * One D1 batch at a time: callers that arrive while one is in flight wait, and the next pass writes all of
 * theirs in one batch. A batch is a transaction, so when it fails nothing of it landed and each caller's unit
 * is tried again on its own: one unit's failure (a constraint) is its caller's alone.
 */
export class D1Writer extends DurableObject<Env> {
  private waiting: Waiting[] = [];
  private readonly runs = new CoalescedRun();
  private batches = 0;
  private statements = 0;
  private failures = 0;
  private lastFailure: { at: string; error: string } | null = null;

  write(stmts: RawStatement[]): Promise<WriteOutcome> {
    if (stmts.length === 0) return Promise.resolve({ ok: true });
    const outcome = new Promise<WriteOutcome>((done) => this.waiting.push({ stmts, done }));
    void this.runs.run(() => this.drain());
    return outcome;
  }

  /** What this instance has written since it started (it keeps nothing: an eviction starts them over). */
  stats(): WriterStats {
    return {
      batches: this.batches,
      statements: this.statements,
      failed_units: this.failures,
      waiting: this.waiting.length,
      last_failure: this.lastFailure,
    };
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      let n = 0;
      let take = 0;
      for (const w of this.waiting) {
        if (take > 0 && n + w.stmts.length > MAX_BATCH_STATEMENTS) break;
        n += w.stmts.length;
        take++;
      }
      await this.flush(this.waiting.splice(0, take));
    }
  }

  private flush(units: Waiting[]): Promise<void> {
    return batchThenEach(
      units,
      (some) => this.batch(some.flatMap((u) => u.stmts)),
      // D1's message with its causes', so that a caller can still tell a constraint failure.
      (u, err) =>
        this.settle(
          u,
          err === null ? { ok: true } : { ok: false, error: [...new Set(errorChain(err))].join(" | cause: ") },
        ),
    );
  }

  private settle(u: Waiting, outcome: WriteOutcome) {
    if (!outcome.ok) {
      const error = outcome.error.split("\n")[0] ?? "";
      this.failures++;
      this.lastFailure = { at: new Date().toISOString(), error: error.slice(0, 300) };
      log.warn("d1_writer_unit_failed", { statements: u.stmts.length, error });
    }
    u.done(outcome);
  }

  private async batch(stmts: RawStatement[]): Promise<void> {
    const db = this.env.DB;
    await db.batch(stmts.map((s) => db.prepare(s.sql).bind(...s.params)));
    this.batches++;
    this.statements += stmts.length;
  }
}
