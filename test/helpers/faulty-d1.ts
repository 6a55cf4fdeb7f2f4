/**
 * Fault injection for D1: a wrapper around the binding whose statements matching `pattern` throw, the
 * way D1 does when it cannot answer ("D1_ERROR: ..."), `times` times (default once) and then behave.
 * Works for single statements and inside db.batch (the whole batch fails, as D1's does).
 *
 *   const db = faultyD1(env.DB, /^update "wallet_info"/i);
 *   await createApp().fetch(request, { ...env, DB: db.binding }, ctx);
 */
export function faultyD1(real: D1Database, pattern: RegExp, times = 1) {
  const state = { remaining: times, thrown: 0 };
  const sqlOf = new WeakMap<object, string>();
  const realOf = new WeakMap<object, D1PreparedStatement>();
  const maybeThrow = (sql: string) => {
    if (state.remaining !== 0 && pattern.test(sql)) {
      if (state.remaining > 0) state.remaining--;
      state.thrown++;
      throw new Error("D1_ERROR: Network connection lost. (injected by faultyD1)");
    }
  };
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args), sql);
        if (prop === "first" || prop === "all" || prop === "run" || prop === "raw")
          return (...args: unknown[]) => {
            maybeThrow(sql);
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    sqlOf.set(proxy, sql);
    realOf.set(proxy, stmt);
    return proxy;
  };
  const binding = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          for (const s of stmts) maybeThrow(sqlOf.get(s) ?? "");
          return target.batch(stmts.map((s) => realOf.get(s) ?? s));
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { binding, state };
}
