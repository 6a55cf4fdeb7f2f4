import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";

/**
 * Runs the SwapQueue's alarm until nothing is pending. Bounded by a number of rounds, not by time: the alarm
 * may also fire on its own (then a forced run returns at once and the next round waits for it).
 */
export async function drainQueue(rounds = 200): Promise<void> {
  const q = env.SWAP_QUEUE.getByName("default");
  for (let i = 0; i < rounds; i++) {
    await runDurableObjectAlarm(q);
    if ((await q.status()).pending === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("SwapQueue still has pending orders");
}
