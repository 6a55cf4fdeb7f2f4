import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { InboxRow, WalletActor } from "../../durable-objects/wallet-actor";
import { SIGNALS_READ_COLUMNS } from "../../src/db/signal-outcomes";
import type { EnqueueResult, MirrorExitRequest, MirrorExitResult, SwapRequest } from "../../src/domain/swap-order";
import worker from "../../src/index";

export const HELIUS_SECRET = "test-helius-auth-header";

/**
 * POSTs a delivery to the webhook as Helius would (the auth header echoed verbatim). The ack does not wait for
 * the decisions (issue 10); unless `wait: false`, this helper then waits until the WalletActors of the watched
 * wallets the items name have finished what the delivery started, so a test reads its outcome right after.
 */
export async function deliver(body: unknown, auth: string | null = HELIUS_SECRET, { wait = true } = {}) {
  const res = await exports.default.fetch("https://walltrack.test/webhooks/helius", {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth === null ? {} : { authorization: auth }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (wait && Array.isArray(body)) await drainActorsOf(body);
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** Waits for the chains of every watched wallet's actor these items involve. */
async function drainActorsOf(items: unknown[]) {
  const addresses = new Set<string>();
  // Bounded: an edge-input test delivers items nested thousands of levels deep (rejected, never routed).
  const walk = (v: unknown, depth: number) => {
    if (depth > 8) return;
    if (typeof v === "string" && v.length >= 32 && v.length <= 44) addresses.add(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(items, 0);
  if (addresses.size === 0) return;
  const { results } = await env.DB.prepare(
    "SELECT address FROM wallets WHERE address IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify([...addresses]))
    .all<{ address: string }>();
  await Promise.all(results.map((w) => env.WALLET_ACTOR.getByName(w.address).drained()));
}

let walletSeq = 0;
/** Inserts a watched wallet row directly (the wallets API is built elsewhere). */
/**
 * A delivery through the test file's own copy of the worker (its isolate caches, e.g. the watch cache, are the
 * ones under test), with the env the route sees optionally replaced — D1 unreachable for the route only, the
 * actors keeping their real binding.
 */
export async function postInProcess(body: unknown, routeEnv: Env = env) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://walltrack.test/webhooks/helius", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: HELIUS_SECRET },
      body: JSON.stringify(body),
    }),
    routeEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

export async function insertWallet(address: string, fields: Record<string, string | number | null> = {}) {
  const cols = { address, label: `w${walletSeq++}`, is_active: 1, mode: "simulation", ...fields };
  const names = Object.keys(cols);
  const row = await env.DB.prepare(
    `INSERT INTO wallets (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) RETURNING id`,
  )
    .bind(...Object.values(cols))
    .first<{ id: number }>();
  return row?.id as number;
}

export interface ActorSpy {
  enqueued: SwapRequest[];
  exits: { position_id: string; req: MirrorExitRequest }[];
  /** Throw from the next N enqueue / mirrorExit calls (simulates the SwapQueue / PositionActor being down). */
  failEnqueue: number;
  failExit: number;
  solUsd: number | null;
  /** When set, the queue answers "cancelled" with this reason (its own breaker gate). */
  cancelReason: string | null;
}

type Patchable = {
  enqueueEntry: (req: SwapRequest) => Promise<EnqueueResult>;
  mirrorExit: (id: string, req: MirrorExitRequest) => Promise<MirrorExitResult>;
  solUsd: () => Promise<number | null>;
};

/**
 * Replaces the actor's outbound calls (SwapQueue.enqueue, PositionActor.mirrorExit, PriceFeed) on its live
 * instance, so the tests observe them without depending on those objects (built in parallel).
 */
export async function spyActor(address: string, solUsd: number | null = 150): Promise<ActorSpy> {
  const spy: ActorSpy = { enqueued: [], exits: [], failEnqueue: 0, failExit: 0, solUsd, cancelReason: null };
  const stub = env.WALLET_ACTOR.getByName(address);
  await runInDurableObject(stub, (instance: WalletActor) => {
    const p = instance as unknown as Patchable;
    p.enqueueEntry = async (req) => {
      spy.enqueued.push(structuredClone(req));
      if (spy.failEnqueue > 0) {
        spy.failEnqueue -= 1;
        throw new Error("SwapQueue unavailable (test)");
      }
      const duplicate = spy.enqueued.length > 1;
      if (spy.cancelReason)
        return {
          order_id: `order-${req.idempotency_key}`,
          status: "cancelled",
          duplicate,
          cancel_reason: spy.cancelReason,
        };
      return { order_id: `order-${req.idempotency_key}`, status: "pending", duplicate };
    };
    p.mirrorExit = async (position_id, req) => {
      spy.exits.push({ position_id, req: structuredClone(req) });
      if (spy.failExit > 0) {
        spy.failExit -= 1;
        throw new Error("PositionActor unavailable (test)");
      }
      return { position_id, queued: true, order_id: `exit-${position_id}` };
    };
    p.solUsd = async () => spy.solUsd;
  });
  return spy;
}

/** Runs the actor's alarm until nothing is due (the alarm may also fire on its own). */
export async function settle(address: string, { forceDue = false } = {}): Promise<InboxRow[]> {
  const stub = env.WALLET_ACTOR.getByName(address);
  await stub.drained();
  if (forceDue)
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE inbox SET next_attempt_ms = 0 WHERE state != 'done'");
      // Signals whose D1 write is backed off (issue 16: written behind the decision).
      if (state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'signal_outbox'").toArray().length > 0)
        state.storage.sql.exec("UPDATE signal_outbox SET next_attempt_ms = 0 WHERE state = 'queued'");
    });
  for (let i = 0; i < 40; i++) {
    await stub.drained(); // the decisions a delivery started (issue 10: not awaited by the ack)
    await runDurableObjectAlarm(stub);
    await stub.drained();
    const rows = await stub.inbox();
    if (!rows.some((r) => r.state !== "done" && r.next_attempt_ms <= Date.now() && r.attempts === 0)) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
  return stub.inbox();
}

export async function signalBySignature(signature: string) {
  return env.DB.prepare(`SELECT ${SIGNALS_READ_COLUMNS} FROM signals WHERE transaction_signature = ?`)
    .bind(signature)
    .first<any>();
}

/**
 * The signal as the actor holds it before its one D1 insert (issue 16: written once, behind the decision):
 * its values and the outbox state (draft → queued; deleted once written); null when the actor keeps none.
 */
export async function outboxSignal(address: string, signature: string) {
  return runInDurableObject(env.WALLET_ACTOR.getByName(address), (_i, state) => {
    const r = state.storage.sql
      .exec<{ signal: string; state: string }>("SELECT signal, state FROM signal_outbox WHERE signature = ?", signature)
      .toArray()[0];
    return r ? { state: r.state, ...(JSON.parse(r.signal) as Record<string, any>) } : null;
  });
}
