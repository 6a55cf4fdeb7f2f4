/**
 * A D1 binding whose statements matching `pattern` throw (once by default): the fault injection of
 * issue 12 tests, to show a failing write is reported or retried and never corrupts anything.
 */
export function faultyD1(db: D1Database, pattern: RegExp, times = 1): D1Database & { failures: () => number } {
  let left = times;
  let failed = 0;
  const shouldFail = (sqlText: string) => {
    if (left > 0 && pattern.test(sqlText)) {
      left--;
      failed++;
      return true;
    }
    return false;
  };
  const sqlOf = new WeakMap<object, string>();
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrapStatement = (stmt: D1PreparedStatement, sqlText: string): D1PreparedStatement => {
    const p = new Proxy(stmt, {
      get(target, prop, receiver) {
        if (prop === "bind") return (...args: unknown[]) => wrapStatement(target.bind(...args), sqlText);
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
          return (...args: unknown[]) => {
            if (shouldFail(sqlText))
              return Promise.reject(new Error(`D1_ERROR: injected failure: ${sqlText.slice(0, 60)}`));
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    sqlOf.set(p, sqlText);
    real.set(p, stmt);
    return p;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "failures") return () => failed;
      if (prop === "prepare") return (sqlText: string) => wrapStatement(target.prepare(sqlText), sqlText);
      if (prop === "batch")
        return (stmts: D1PreparedStatement[]) => {
          for (const s of stmts) {
            const text = sqlOf.get(s);
            if (text && shouldFail(text))
              return Promise.reject(new Error(`D1_ERROR: injected failure: ${text.slice(0, 60)}`));
          }
          // The runtime's batch wants its own statement objects, not the proxies.
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as D1Database & { failures: () => number };
}
