import { DurableObject } from "cloudflare:workers";
import type { MirrorExitRequest, MirrorExitResult } from "../src/domain/swap-order";

/** PositionActor: see DESIGN §1. Storage is this object's SQLite; the schema is created once per instance. */
export class PositionActor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    });
  }

  /** Sells the share of this position the leader sold (FR-7). Built by the position work of issues 4-5. */
  async mirrorExit(_req: MirrorExitRequest): Promise<MirrorExitResult> {
    throw new Error("PositionActor.mirrorExit is not built yet");
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "PositionActor", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}
