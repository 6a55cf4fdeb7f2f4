import type { D1Writer } from "../../durable-objects/d1-writer";

/**
 * The hand-off of read-model rows to the one D1Writer (durable-objects/d1-writer.ts), issue 10: rows that
 * actors write behind their decisions (a position's row, a signal, a token's safety row) go through one
 * object that gathers the statements of every caller waiting at that moment into one D1 batch. A D1 call
 * costs a fixed ~2.5 ms of the thread locally and a round trip in production whatever its size; in a batch
 * a statement costs a seventh of that (docs/perf-ingest.md).
 *
 * The caller keeps its durability: the call resolves once D1 holds its statements and throws with D1's
 * message when they failed, so a caller retries exactly as it did when it called D1 itself. A caller's
 * statements must be idempotent (upserts, guarded updates, inserts that ignore conflicts): they run in a
 * batch with other callers' statements, and again on their own when that batch fails.
 */

/** One statement as drizzle prints it (`query.toSQL()`), to cross the RPC boundary. */
export interface RawStatement {
  sql: string;
  params: unknown[];
}

export type WriteOutcome = { ok: true } | { ok: false; error: string };

/** Anything drizzle can print as one statement: an insert, update or delete builder. */
export interface Printable {
  toSQL(): RawStatement;
}

export function d1WriterOf(env: Pick<Env, "D1_WRITER">): DurableObjectStub<D1Writer> {
  return env.D1_WRITER.getByName("main");
}

/** Writes the statements as one atomic unit through the D1Writer; throws D1's error when they fail. */
export async function sharedWrite(env: Pick<Env, "D1_WRITER">, queries: readonly Printable[]): Promise<void> {
  if (queries.length === 0) return;
  const outcome = await d1WriterOf(env).write(queries.map((q) => q.toSQL()));
  if (!outcome.ok) throw new Error(outcome.error);
}
