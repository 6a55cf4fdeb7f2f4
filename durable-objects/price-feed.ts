import { DurableObject } from "cloudflare:workers";
import type { PriceMap } from "../src/domain/price";

/** PriceFeed: see DESIGN §1. Storage is this object's SQLite; the schema is created once per instance. */
export class PriceFeed extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    });
  }

  /** USD prices of many mints in batched upstream calls; null = price unavailable. Being built. */
  async getPrices(_mints: string[]): Promise<PriceMap> {
    throw new Error("PriceFeed.getPrices is not built yet");
  }

  /** Identity and health of this instance. */
  async status(): Promise<{ actor: string; id: string; name: string | null }> {
    return { actor: "PriceFeed", id: this.ctx.id.toString(), name: this.ctx.id.name ?? null };
  }
}
