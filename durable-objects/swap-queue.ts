import { DurableObject } from "cloudflare:workers";
import type { EnqueueResult, SwapRequest } from "../src/domain/swap-order";

/** SwapQueue: see DESIGN §1. Storage is this object's SQLite; the schema is created once per instance. */
export class SwapQueue extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    });
  }

  /** Persists a swap intent (idempotent by `idempotency_key`). Built by the execution work of issue 4. */
  async enqueue(_req: SwapRequest): Promise<EnqueueResult> {
    throw new Error("SwapQueue.enqueue is not built yet");
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "SwapQueue", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}
