import { eq } from "drizzle-orm";
import type { Config } from "../domain/config";
import { ApiError } from "../lib/errors";
import type { Db } from "./client";
import { type ConfigRow, config } from "./schema";

/** The config singleton as the API and the domain see it (JSON columns decoded). */
export function toConfig(row: ConfigRow): Config {
  const { id: _id, helius_transaction_types, ...rest } = row;
  return { ...rest, helius_transaction_types: JSON.parse(helius_transaction_types) as string[] };
}

export async function loadConfig(db: Db): Promise<Config> {
  const row = await db.select().from(config).where(eq(config.id, 1)).get();
  if (!row) throw new ApiError("NotConfigured", "config row missing: apply the D1 migrations");
  return toConfig(row);
}
