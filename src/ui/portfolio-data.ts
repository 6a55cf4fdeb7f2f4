import { desc } from "drizzle-orm";
import type { Db } from "../db/client";
import { loadConfig } from "../db/config-store";
import { latestRun, runView } from "../db/portfolio-refresh-run";
import { holdingsOf, listWalletRows, walletView } from "../db/portfolio-store";
import { launches, scheduledFunding } from "../db/schema";

/**
 * The Portfolio page's read model, straight from D1 (the same views GET /api/wallets/ answers): every
 * operator wallet with its holdings and cache age, the latest refresh-all run, the funding schedule and
 * the launch records (latest 100 each).
 */
export async function portfolioData(db: Db, now: number = Date.now()) {
  const [cfg, rows, run, fundings, launchRows] = await Promise.all([
    loadConfig(db),
    listWalletRows(db),
    latestRun(db),
    db.select().from(scheduledFunding).orderBy(desc(scheduledFunding.scheduled_for)).limit(100).all(),
    db.select().from(launches).orderBy(desc(launches.launched_at)).limit(100).all(),
  ]);
  const holdings = await holdingsOf(
    db,
    rows.map((r) => r.address),
  );
  const wallets = rows.map((r) => walletView(r, holdings.get(r.address) ?? [], cfg.portfolio_stale_seconds, now));
  return {
    stale_seconds: cfg.portfolio_stale_seconds,
    funded_threshold_sol: cfg.funded_threshold_sol,
    wallets,
    run: run ? runView(run) : null,
    fundings: fundings.map(({ signed_transaction: _s, last_valid_block_height: _l, ...f }) => f),
    launches: launchRows,
  };
}
export type PortfolioData = Awaited<ReturnType<typeof portfolioData>>;
