import { count, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { reconciliationFindings, reconciliationRuns } from "../db/schema";
import { type ReconciliationSummary, summarizeRun } from "../domain/reconciliation-summary";

/**
 * The last reconciliation run for GET /api/v1/status and the Health page (null before any run): two small
 * reads, the latest run by id and its findings counted by kind (indexed by run). Reads only.
 */
export async function lastReconciliation(db: Db): Promise<ReconciliationSummary | null> {
  const run = await db.select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(1).get();
  if (!run) return null;
  const counts = await db
    .select({ kind: reconciliationFindings.kind, n: count() })
    .from(reconciliationFindings)
    .where(eq(reconciliationFindings.run_id, run.id))
    .groupBy(reconciliationFindings.kind)
    .all();
  return summarizeRun(run, Object.fromEntries(counts.map((c) => [c.kind, c.n])));
}
