import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { PriceQuote } from "../../src/domain/price";
import type { SwapRequest } from "../../src/domain/swap-order";

/**
 * Drives a PositionActor deterministically: its clock, its price and its SwapQueue are replaced by test
 * doubles (through the actor's `now()` / `swapQueue()` seams and its `env.PRICE_FEED`), so a test decides
 * when each tick happens, at what price, and applies each queued exit's fill itself.
 */
export interface ActorDrive {
  setClock(ms: number): void;
  setPrice(price: number): void;
  /** Sell requests the actor enqueued since the last call. */
  takeEnqueued(): SwapRequest[];
}

export async function driveActor(actor: DurableObjectStub, mint: string): Promise<ActorDrive> {
  let clock = Date.now();
  let price: number | null = null;
  let enqueued: SwapRequest[] = [];
  const seen = new Set<string>();
  const queue = {
    enqueue: async (req: SwapRequest) => {
      const duplicate = seen.has(req.idempotency_key);
      seen.add(req.idempotency_key);
      if (!duplicate) enqueued.push(req);
      return { order_id: `ord_${req.idempotency_key}`, status: "pending" as const, duplicate };
    },
    // The double holds no newer config than the actor's: the actor decides with the snapshot it has.
    positionHotState: async () => null,
  };
  const feed = {
    getByName: () => ({
      getPrices: async (mints: string[]) =>
        Object.fromEntries(
          mints.map((m): [string, PriceQuote | null] => [
            m,
            m === mint && price != null
              ? {
                  mint: m,
                  price_usd: price,
                  source: "jupiter",
                  observed_at: new Date(clock).toISOString(),
                  age_seconds: 0,
                }
              : null,
          ]),
        ),
    }),
  };
  await runInDurableObject(actor, (instance) => {
    const o = instance as unknown as Record<string, unknown>;
    o.swapQueue = () => queue;
    o.now = () => clock;
    const real = env;
    Object.defineProperty(o, "env", {
      configurable: true,
      writable: true,
      value: new Proxy(real, { get: (t, k) => (k === "PRICE_FEED" ? feed : Reflect.get(t, k)) }),
    });
  });
  return {
    setClock: (ms) => {
      clock = ms;
    },
    setPrice: (p) => {
      price = p;
    },
    takeEnqueued: () => {
      const out = enqueued;
      enqueued = [];
      return out;
    },
  };
}
