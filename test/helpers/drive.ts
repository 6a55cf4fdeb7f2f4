import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { pushQueue } from "./execution";
import { owedSteps, queueIdle } from "./queue-steps";

/**
 * Runs the SwapQueue's alarm until nothing is pending, no run is executing and no owed step (opening a
 * position, which may queue an owed mirror exit) is left. Bounded by a number of rounds, not by time: the alarm
 * may also fire on its own (then a forced run returns at once and the next round waits for it).
 */
export async function drainQueue(rounds = 200): Promise<void> {
  const q = env.SWAP_QUEUE.getByName("default");
  for (let i = 0; i < rounds; i++) {
    await runDurableObjectAlarm(q);
    await queueIdle();
    if ((await q.status()).pending === 0 && !(await owedSteps()).some((s) => s.state === "owed")) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("SwapQueue still has pending orders");
}

/**
 * Holds the SwapQueue: nothing executes until `releaseQueue()` (a long spacing after a "last execution" now),
 * so a test can act on an entry while it is known to be waiting in the queue.
 */
export async function holdQueue(): Promise<void> {
  await env.DB.prepare("UPDATE config SET swap_min_spacing_ms = 3600000 WHERE id = 1").run();
  await pushQueue();
  await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
    state.storage.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('last_execution_ms', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(Date.now()),
    );
  });
}

export async function releaseQueue(): Promise<void> {
  await env.DB.prepare("UPDATE config SET swap_min_spacing_ms = 0 WHERE id = 1").run();
  await pushQueue();
  await runInDurableObject(env.SWAP_QUEUE.getByName("default"), (_i, state) => {
    state.storage.sql.exec("DELETE FROM meta WHERE key = 'last_execution_ms'");
  });
}
