import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import { alerts, jobRuns, signals, wallets } from "../db/schema";
import { collectStatus } from "../ops/status";

/** How many wallets' inboxes the Health page asks for dead rows (those with a parked transaction recently). */
const INBOX_WALLETS = 50;
/** Live-mode wallets listed by name on the Health page (the status gives the full count). */
const LIVE_WALLETS_SHOWN = 50;

/**
 * The Health page's read model: the operator status (GET /api/v1/status), the SwapQueue with its dead
 * letters and owed steps, and the WalletActor inbox dead letters. Only the wallets that parked a transaction
 * (each dead inbox row is also a signal filtered `invalid_transaction`) are asked, so a refresh every 10 s
 * does not wake every wallet's actor.
 */
export async function healthData(env: Env, db: Db) {
  const queue = env.SWAP_QUEUE.getByName("default");
  const [status, swap, cfg, parked, jobs, liveWallets] = await Promise.all([
    collectStatus(env),
    queue.status(),
    loadConfig(db),
    db
      .selectDistinct({ wallet: signals.wallet_address })
      .from(signals)
      .where(eq(signals.filter_reason, "invalid_transaction"))
      .orderBy(desc(signals.wallet_address))
      .limit(INBOX_WALLETS)
      .all(),
    db.select().from(jobRuns).orderBy(desc(jobRuns.started_at), desc(jobRuns.id)).limit(20).all(),
    // The leaders copied in live mode (the trading-wallet panel names them; the status only counts them).
    db
      .select({ id: wallets.id, address: wallets.address, label: wallets.label, is_active: wallets.is_active })
      .from(wallets)
      .where(eq(wallets.mode, "live"))
      .orderBy(wallets.id)
      .limit(LIVE_WALLETS_SHOWN)
      .all(),
  ]);
  const inbox = (
    await Promise.all(
      parked.map(async ({ wallet }) =>
        (
          await env.WALLET_ACTOR.getByName(wallet).inbox(50, "dead")
        ).map((r) => ({
          wallet,
          signature: r.signature,
          signal_type: r.signal_type,
          attempts: r.attempts,
          last_error: r.last_error,
        })),
      ),
    )
  ).flat();
  return {
    status,
    swap: { ...swap, bucket: { per_second: cfg.jupiter_swaps_per_second, burst: cfg.jupiter_swap_burst } },
    inbox,
    jobs,
    trading: { live_trading_enabled: cfg.live_trading_enabled, live_wallets: liveWallets },
  };
}
export type HealthData = Awaited<ReturnType<typeof healthData>>;

/** Alerts not yet resolved first (latest seen first), then the latest 50 resolved. */
export async function alertsData(db: Db) {
  const [active, resolved, open] = await Promise.all([
    db
      .select()
      .from(alerts)
      .where(ne(alerts.status, "resolved"))
      .orderBy(desc(alerts.last_seen_at), desc(alerts.id))
      .limit(200)
      .all(),
    db
      .select()
      .from(alerts)
      .where(eq(alerts.status, "resolved"))
      .orderBy(desc(alerts.resolved_at), desc(alerts.id))
      .limit(50)
      .all(),
    db
      .select({ n: sql<number>`count(*)` })
      .from(alerts)
      .where(and(inArray(alerts.status, ["open"])))
      .get(),
  ]);
  return { active, resolved, open_count: open?.n ?? 0 };
}
export type AlertsData = Awaited<ReturnType<typeof alertsData>>;
