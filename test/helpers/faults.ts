import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { d1WriterOf } from "../../src/pipeline/shared-d1-write";

/**
 * Fault injection for the trade path (issue 9): make one chosen D1 statement or one actor call throw,
 * inside a live Durable Object instance, without touching production code.
 *
 *   const db = faultyD1(env.DB, { match: /update "orders"/i, nth: 1 });
 *   await patchEnv(queue(), { DB: db.binding });
 *
 * The patch lives on that instance only: `evictDurableObject` / `abortAllDurableObjects` drop it (a fresh
 * instance reads the real env again), which is itself the "process died" half of a fault test.
 *
 * Outside an actor (a job, a route called through `worker.fetch`), pass `db.binding` as the env's DB:
 *
 *   const db = faultyD1(env.DB, { match: /insert into "reconciliation_runs"/i, times: 2 });
 *   await runJob({ ...env, DB: db.binding }, ...); expect(db.thrown()).toBe(2);
 *
 * This is the one D1 fault helper of the suite (it replaced test/helpers/faulty-d1.ts and d1-fault.ts).
 */

export interface D1Fault {
  /** Which statements count (tested against the SQL text, parameters not included). */
  match: RegExp;
  /** The nth matching statement (1-based) throws; the following ones too until `times` have thrown. */
  nth?: number;
  /** How many consecutive matching statements throw, from the nth on (default 1). */
  times?: number;
  message?: string;
}

export interface FaultyD1 {
  binding: D1Database;
  /** Every statement's SQL that reached the wrapper, in order (batched ones included). */
  statements: string[];
  /** Each D1 call's statements, in order: a batch is one entry, a single statement an entry of one. */
  calls: string[][];
  /** How many statements were made to throw so far. */
  thrown: () => number;
}

/** Wraps a D1 binding: statements run for real, except the chosen matching ones, which throw once each. */
export function faultyD1(real: D1Database, fault: D1Fault): FaultyD1 {
  const nth = fault.nth ?? 1;
  const times = fault.times ?? 1;
  const statements: string[] = [];
  const calls: string[][] = [];
  let matched = 0;
  let thrown = 0;
  // Each wrapped statement → the real one and its SQL (a batch must be given the real statements).
  const unwrap = new WeakMap<object, { stmt: D1PreparedStatement; query: string }>();

  const check = (query: string) => {
    statements.push(query);
    if (!fault.match.test(query)) return;
    matched++;
    if (matched >= nth && matched < nth + times) {
      thrown++;
      throw new Error(fault.message ?? `injected D1 fault on: ${query.slice(0, 80)}`);
    }
  };

  const wrapStatement = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrapStatement(target.bind(...args), query);
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
          return async (...args: unknown[]) => {
            calls.push([query]);
            check(query);
            return (target as any)[prop](...args);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    unwrap.set(proxy, { stmt, query });
    return proxy;
  };

  const binding = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query), query);
      if (prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          // A batch is one atomic unit in D1: a fault on any of its statements fails the whole batch.
          calls.push(stmts.map((s) => unwrap.get(s)?.query ?? "?"));
          for (const s of stmts) {
            const u = unwrap.get(s);
            if (u) check(u.query);
          }
          return target.batch(stmts.map((s) => unwrap.get(s)?.stmt ?? s));
        };
      if (prop === "exec")
        return async (query: string) => {
          calls.push([query]);
          check(query);
          return target.exec(query);
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { binding, statements, calls, thrown: () => thrown };
}

export interface StubFault {
  /** The RPC method that throws. */
  method: string;
  /** How many calls of it throw, from the first (default 1). */
  times?: number;
  message?: string;
}

/**
 * Wraps a Durable Object namespace: stubs it hands out forward every call, except that the chosen method
 * throws on its first `times` calls (across all stubs of the namespace), as a failed RPC would.
 */
export function faultyNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  real: DurableObjectNamespace<T>,
  fault: StubFault,
): { binding: DurableObjectNamespace<T>; calls: () => number; thrown: () => number } {
  let remaining = fault.times ?? 1;
  let calls = 0;
  let thrown = 0;
  const wrapStub = (stub: object) =>
    new Proxy(stub, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (prop !== fault.method) return v;
        return async (...args: unknown[]) => {
          calls++;
          if (remaining > 0) {
            remaining--;
            thrown++;
            throw new Error(fault.message ?? `injected fault on ${fault.method}`);
          }
          return (target as any)[prop](...args);
        };
      },
    });
  const binding = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop === "getByName" || prop === "get")
        return (...args: unknown[]) => wrapStub((v as any).apply(target, args));
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { binding, calls: () => calls, thrown: () => thrown };
}

/**
 * Replaces some bindings of one live Durable Object instance (the instance reads `this.env` on every call).
 * Returns a function that puts the real bindings back.
 */
export async function patchEnv(
  stub: DurableObjectStub,
  patch: Partial<Record<keyof Env, unknown>>,
): Promise<() => Promise<void>> {
  let original: Env | undefined;
  await runInDurableObject(stub, (instance) => {
    const i = instance as unknown as { env: Env };
    original = i.env;
    i.env = new Proxy(original, {
      get: (t, k) => (k in patch ? (patch as Record<string | symbol, unknown>)[k] : Reflect.get(t, k)),
    });
  });
  return async () => {
    await runInDurableObject(stub, (instance) => {
      if (original) (instance as unknown as { env: Env }).env = original;
    });
  };
}

/**
 * Replaces bindings of the shared D1 writer (src/pipeline/shared-d1-write.ts). The rows actors write behind
 * their decisions (position rows, signals, tokens rows) reach D1 through it, so a fault on those writes is
 * injected here, not into the actor's env. Restore it: the writer is shared by every test of the file.
 */
export function patchWriter(patch: Partial<Record<keyof Env, unknown>>): Promise<() => Promise<void>> {
  return patchEnv(d1WriterOf(env), patch);
}

/**
 * Held calls: instead of throwing, the chosen calls wait until the test lets them through, so a test can
 * show that something completes without them (or observe what runs while they are pending).
 *
 *   const held = heldD1(env.DB, "batches");
 *   const restore = await patchEnv(queue(), { DB: held.binding });
 *   try { ...; expect(held.waiting()).toBe(1); } finally { held.release(); await restore(); }
 *
 * One `release()` lets every held call through, those already waiting and any later one (calls after it
 * are no longer held); it may be called more than once. Always release in a `finally`: a call still held
 * when the test ends keeps its instance waiting.
 */
export interface Held {
  /** Lets every held call (waiting or still to come) run for real. */
  release: () => void;
  /** How many of the chosen calls were made so far (held, or let straight through after `release()`). */
  waiting: () => number;
}

function heldGate() {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let waiting = 0;
  const hold = async () => {
    waiting++;
    await gate;
  };
  return { hold, held: { release, waiting: () => waiting } satisfies Held };
}

/**
 * Wraps a D1 binding so that some of its calls wait until `release()`, then run for real:
 *   - "statements": every prepared statement's `run`, `all`, `first` and `raw` (reads and writes alike;
 *     `bind` keeps the statement held). `batch` and `exec` are not held.
 *   - "batches": every `batch` (the write-behind's D1 calls are batches). Single statements are not held.
 */
export function heldD1(real: D1Database, hold: "statements" | "batches"): Held & { binding: D1Database } {
  const { hold: wait, held } = heldGate();
  const holdStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === "bind") return (...args: unknown[]) => holdStatement(target.bind(...args));
        if (typeof v !== "function") return v;
        if (!["all", "raw", "first", "run"].includes(String(prop))) return v.bind(target);
        return async (...args: unknown[]) => {
          await wait();
          return v.apply(target, args);
        };
      },
    });
  const binding = new Proxy(real, {
    get(target, prop) {
      if (hold === "statements" && prop === "prepare") return (q: string) => holdStatement(target.prepare(q));
      if (hold === "batches" && prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          await wait();
          return target.batch(stmts);
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { binding, ...held };
}

/**
 * Wraps a Durable Object namespace: stubs it hands out through `getByName` forward every call, except that
 * every call of `method` (across all its stubs) waits until `release()`, then runs for real. `asked` lists
 * the names of the objects whose `method` was called, in order.
 */
export function heldNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  real: DurableObjectNamespace<T>,
  method: string,
): Held & { binding: DurableObjectNamespace<T>; asked: string[] } {
  const { hold: wait, held } = heldGate();
  const asked: string[] = [];
  const binding = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop !== "getByName") return typeof v === "function" ? v.bind(target) : v;
      return (name: string) =>
        new Proxy(target.getByName(name), {
          get(t, k) {
            if (k !== method) return Reflect.get(t, k);
            return async (...args: unknown[]) => {
              asked.push(name);
              await wait();
              return (t as any)[k](...args);
            };
          },
        });
    },
  });
  return { binding, asked, ...held };
}
