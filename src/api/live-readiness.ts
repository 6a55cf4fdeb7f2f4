import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { config } from "../db/schema";
import type { LiveKeyState, LiveReadiness } from "../domain/live-guard";
import { tradingWalletKey } from "../lib/trading-wallet";

/** The trading key's state as the guardrails see it (never the key itself). */
export async function liveKeyState(env: Pick<Env, "WALLET_PRIVATE_KEY">): Promise<LiveKeyState> {
  const key = await tradingWalletKey(env.WALLET_PRIVATE_KEY);
  if (key.state === "malformed") return { state: "malformed", problem: key.problem };
  return { state: key.state };
}

/**
 * Whether a wallet may be switched to `live` now: the key's state and the master switch. Read only when a
 * request asks for `live` (other wallet edits skip the config read).
 */
export async function liveReadiness(env: Env, db: Db, wanted: boolean): Promise<LiveReadiness> {
  if (!wanted) return { key: { state: "ok" }, switch_on: true };
  const [key, row] = await Promise.all([
    liveKeyState(env),
    db.select({ on: config.live_trading_enabled }).from(config).where(eq(config.id, 1)).get(),
  ]);
  return { key, switch_on: row?.on === true };
}
