import { abortAllDurableObjects, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

/**
 * Stops every Durable Object's pending work before a test file ends: a position's price poll or a queue's
 * alarm still running when vitest closes the file would log into a closed RPC. Alarms are deleted, the
 * objects aborted (an alarm already running cannot re-arm itself past this), then the alarms deleted
 * again in case one re-armed before the abort; finally no object has an alarm left.
 */
const NAMESPACES = ["POSITION_ACTOR", "WALLET_ACTOR", "SWAP_QUEUE", "PRICE_FEED", "PORTFOLIO_REFRESHER"] as const;

async function deleteAlarms(): Promise<number> {
  let armed = 0;
  for (const name of NAMESPACES) {
    const ns = env[name] as unknown as DurableObjectNamespace;
    for (const id of await listDurableObjectIds(ns)) {
      armed += await runInDurableObject(ns.get(id), async (_instance, state) => {
        const had = (await state.storage.getAlarm()) != null;
        await state.storage.deleteAlarm();
        return had ? 1 : 0;
      });
    }
  }
  return armed;
}

export async function quiesceActors(): Promise<void> {
  await deleteAlarms();
  await abortAllDurableObjects();
  await deleteAlarms();
  // Restarting an object (its constructor) must not arm anything either.
  if ((await deleteAlarms()) !== 0) throw new Error("an actor re-armed its alarm after quiescing");
}
