import { sql } from "drizzle-orm";
import { walletInfo } from "./schema";

/**
 * The status rule of `nextStatus` / `statusAfterLaunch` (src/domain/portfolio.ts) written as SQL over the
 * row being updated. A refresh or a launch record reads the wallet, then awaits the chain; an operator may
 * archive it meanwhile. Computing the new status from the row as it is at write time (not from the earlier
 * read) means no path can un-archive a wallet or move LAUNCHED back to FUNDED. The domain tests and
 * test/portfolio-status.test.ts check that both forms agree.
 */
export const statusAfterBalanceSql = (funded: boolean) =>
  sql<string>`CASE
    WHEN ${walletInfo.status} = 'ARCHIVED' THEN 'ARCHIVED'
    WHEN ${walletInfo.launch_count} > 0 OR ${walletInfo.status} = 'LAUNCHED' THEN 'LAUNCHED'
    WHEN ${funded ? 1 : 0} = 1 OR ${walletInfo.status} = 'FUNDED' THEN 'FUNDED'
    ELSE 'UNFUNDED' END`;

/** first_funded_at is written once: the first funded reading wins, later ones keep it (also under races). */
export const firstFundedAtSql = (funded: boolean, now: string) =>
  funded ? sql<string>`coalesce(${walletInfo.first_funded_at}, ${now})` : sql<string>`${walletInfo.first_funded_at}`;

/** After a launch record: LAUNCHED, unless the wallet is archived at write time. */
export const statusAfterLaunchSql = () =>
  sql<string>`CASE WHEN ${walletInfo.status} = 'ARCHIVED' THEN 'ARCHIVED' ELSE 'LAUNCHED' END`;
