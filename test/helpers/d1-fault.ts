/**
 * Fault injection for D1: a wrapped binding whose statements matching `pattern` throw, `times` times, before
 * reaching the database (so the write never happens). Install it on an actor instance with
 * `injectD1Fault(stub, pattern)`; `fault.thrown` counts the failures delivered.
 */
import { runInDurableObject } from "cloudflare:test";

export interface D1Fault {
  pattern: RegExp;
  remaining: number;
  thrown: number;
}

type Inner = { inner: D1PreparedStatement; sql: string };

export function faultyD1(db: D1Database, fault: D1Fault): D1Database {
  const trip = (sql: string) => {
    if (fault.remaining > 0 && fault.pattern.test(sql)) {
      fault.remaining -= 1;
      fault.thrown += 1;
      throw new Error(`D1 unavailable (injected fault on: ${sql.slice(0, 60)})`);
    }
  };
  const wrap = (inner: D1PreparedStatement, sql: string): D1PreparedStatement =>
    ({
      inner,
      sql,
      bind: (...values: unknown[]) => wrap(inner.bind(...values), sql),
      run: async () => {
        trip(sql);
        return inner.run();
      },
      all: async () => {
        trip(sql);
        return inner.all();
      },
      raw: async (opts?: { columnNames?: boolean }) => {
        trip(sql);
        return inner.raw(opts as never);
      },
      first: async (col?: string) => {
        trip(sql);
        return col === undefined ? inner.first() : inner.first(col);
      },
    }) as unknown as D1PreparedStatement;
  return {
    prepare: (sql: string) => wrap(db.prepare(sql), sql),
    batch: async (statements: D1PreparedStatement[]) => {
      const list = statements as unknown as Inner[];
      for (const s of list) trip(s.sql);
      return db.batch(list.map((s) => s.inner));
    },
    exec: async (sql: string) => {
      trip(sql);
      return db.exec(sql);
    },
    dump: () => db.dump(),
    withSession: (c?: string) => db.withSession(c as never),
  } as unknown as D1Database;
}

/** Replaces the D1 binding of the live actor instance behind `stub` (until it is evicted). */
export async function injectD1Fault(stub: DurableObjectStub, pattern: RegExp, times = 1): Promise<D1Fault> {
  const fault: D1Fault = { pattern, remaining: times, thrown: 0 };
  await runInDurableObject(stub, (instance) => {
    const actor = instance as unknown as { env: Env };
    actor.env = { ...actor.env, DB: faultyD1(actor.env.DB, fault) };
  });
  return fault;
}
