import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { queue, setConfig } from "./execution";

/**
 * Drives the SwapQueue one execution at a time, never by the clock: a spacing of an hour after a fresh
 * "last execution" holds every order, and `stepQueue` makes one order (and every owed step) due and runs
 * the alarm once. Owed retries may still run on their own after their backoff; tests assert only what holds
 * whichever run did the work.
 */
export async function holdQueue() {
  await setConfig({ swap_min_spacing_ms: 3_600_000 });
  await runInDurableObject(queue(), (_i, state) => {
    state.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('last_execution_ms', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(Date.now()),
    );
  });
}

export async function stepQueue(): Promise<void> {
  await runInDurableObject(queue(), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("UPDATE meta SET value = '0' WHERE key = 'last_execution_ms'");
    sql.exec("UPDATE queue SET not_before_ms = 0 WHERE state = 'pending'");
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'owed'").toArray().length > 0)
      sql.exec("UPDATE owed SET not_before_ms = 0 WHERE state = 'owed'");
    if ((await state.storage.getAlarm()) == null) await state.storage.setAlarm(Date.now() + 3_600_000);
  });
  await runDurableObjectAlarm(queue());
  await queueIdle();
}

/**
 * Waits until no run of the queue is still executing: an alarm that fired on its own (an owed retry) may
 * have taken the order, and the explicit run then returned at once ("a run is already executing").
 */
export async function queueIdle(timeoutMs = 8000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const busy = await runInDurableObject(queue(), (instance) => {
      // Owed steps included: a fill's position opens behind it (issue 10), after the run has returned.
      const i = instance as unknown as { running?: boolean; owed?: { running?: Set<string> } };
      return Boolean(i.running) || (i.owed?.running?.size ?? 0) > 0;
    });
    if (!busy) return;
    if (Date.now() > until) throw new Error("the swap queue stayed busy");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The queue's owed steps still to do (empty when the table does not exist). */
export async function owedSteps(): Promise<{ order_id: string; step: string; state: string; attempts: number }[]> {
  return runInDurableObject(queue(), (_i, state) => {
    const sql = state.storage.sql;
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'owed'").toArray().length === 0) return [];
    return sql
      .exec<{ order_id: string; step: string; state: string; attempts: number }>(
        "SELECT order_id, step, state, attempts FROM owed ORDER BY rowid",
      )
      .toArray();
  });
}

/** Pushes every owed retry an hour out (and the alarm with it), so nothing runs on its own before a crash. */
export async function holdOwed(): Promise<void> {
  await runInDurableObject(queue(), async (_i, state) => {
    const later = Date.now() + 3_600_000;
    state.storage.sql.exec("UPDATE owed SET not_before_ms = ? WHERE state = 'owed'", later);
    await state.storage.setAlarm(later);
  });
}

/**
 * Runs the queue's owed steps that are due now, D1 write-behind included (issue 10: a simulated order's D1
 * row is written with the queue's next run, not by enqueue), without executing any order.
 */
export async function flushWriteBehind(): Promise<void> {
  await runInDurableObject(queue(), async (instance) => {
    await (instance as unknown as { owed: { run(): Promise<void> } }).owed.run();
  });
}
