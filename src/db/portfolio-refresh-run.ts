import { and, asc, desc, eq, gt, or, sql } from "drizzle-orm";
import { refreshHttpStatus } from "../domain/portfolio";
import { log } from "../lib/logger";
import { SubrequestBudget } from "../lib/subrequest-budget";
import { nowIso } from "../lib/time";
import type { Db } from "./client";
import { outcomesOf, type RefreshOptions, type RpcEnv, refreshChunk, walletsPerChunk } from "./portfolio-refresh";
import { portfolioRefreshRuns, walletInfo } from "./schema";

export type RefreshRun = typeof portfolioRefreshRuns.$inferSelect;

/** A run with no progress for this long is abandoned (its alarm lost): a new refresh-all may start. */
export const RUN_ABANDONED_AFTER_MS = 10 * 60_000;

export const runView = (r: RefreshRun) => ({
  id: r.id,
  status: r.status,
  subrequest_budget: r.subrequest_budget,
  wallets_total: r.wallets_total,
  wallets_done: r.wallets_done,
  ok: r.ok,
  partial: r.partial,
  failed: r.failed,
  chunks: r.chunks,
  subrequests_total: r.subrequests_total,
  max_chunk_subrequests: r.max_chunk_subrequests,
  chunk_log: JSON.parse(r.chunk_log) as ChunkLogEntry[],
  started_at: r.started_at,
  updated_at: r.updated_at,
  finished_at: r.finished_at,
});

export interface ChunkLogEntry {
  wallets: number;
  subrequests: number;
  at: string;
}

export const getRun = (db: Db, id: string) =>
  db.select().from(portfolioRefreshRuns).where(eq(portfolioRefreshRuns.id, id)).get();

export const latestRun = (db: Db) =>
  db.select().from(portfolioRefreshRuns).orderBy(desc(portfolioRefreshRuns.started_at)).limit(1).get();

/** The running run still making progress, if any (one refresh-all at a time). */
export async function activeRun(db: Db, nowMs = Date.now()) {
  const r = await db
    .select()
    .from(portfolioRefreshRuns)
    .where(eq(portfolioRefreshRuns.status, "running"))
    .orderBy(desc(portfolioRefreshRuns.started_at))
    .limit(1)
    .get();
  return r && nowMs - Date.parse(r.updated_at) < RUN_ABANDONED_AFTER_MS ? r : null;
}

export async function startRun(db: Db, budget: number): Promise<RefreshRun> {
  const now = nowIso();
  const total = await db.select({ n: sql<number>`count(*)` }).from(walletInfo).get();
  // An abandoned run is closed so that exactly one runs.
  await db
    .update(portfolioRefreshRuns)
    .set({ status: "done", finished_at: now, updated_at: now })
    .where(eq(portfolioRefreshRuns.status, "running"));
  const [row] = await db
    .insert(portfolioRefreshRuns)
    .values({
      id: crypto.randomUUID(),
      subrequest_budget: budget,
      wallets_total: total?.n ?? 0,
      started_at: now,
      updated_at: now,
    })
    .returning();
  return row as RefreshRun;
}

/**
 * The next chunk of a run, inside `budget` subrequests: the wallets after the cursor in (created_at,
 * address) order, as many as walletsPerChunk allows. Idempotent: the refresh writes are, and the run row
 * advances only if its cursor is still the one this chunk started from (a duplicate alarm counts nothing
 * twice). Returns the chunk's per-wallet results and the run after it.
 */
export async function runNextChunk(env: RpcEnv, db: Db, runId: string, opts: RefreshOptions) {
  const run = await getRun(db, runId);
  if (run?.status !== "running") return { run, results: [] };
  const budget = new SubrequestBudget(run.subrequest_budget);
  const size = walletsPerChunk(run.subrequest_budget);
  const cursor =
    run.cursor_created_at && run.cursor_address
      ? or(
          gt(walletInfo.created_at, run.cursor_created_at),
          and(eq(walletInfo.created_at, run.cursor_created_at), gt(walletInfo.address, run.cursor_address)),
        )
      : undefined;
  const rows = await db
    .select()
    .from(walletInfo)
    .where(cursor)
    .orderBy(asc(walletInfo.created_at), asc(walletInfo.address))
    .limit(size + 1);
  const chunk = rows.slice(0, size);
  const last = rows.length > size ? chunk[chunk.length - 1] : undefined;
  const results = chunk.length ? await refreshChunk(env, db, chunk, opts, budget) : [];
  const counts = { ok: 0, partial: 0, failed: 0 };
  for (const r of results) {
    const code = refreshHttpStatus(outcomesOf(r.parts));
    counts[code === 200 ? "ok" : code === 207 ? "partial" : "failed"]++;
  }
  const now = nowIso();
  const finished = !last;
  const entry: ChunkLogEntry = { wallets: chunk.length, subrequests: budget.used, at: now };
  const endCursor = chunk[chunk.length - 1];
  const [after] = await db
    .update(portfolioRefreshRuns)
    .set({
      status: finished ? "done" : "running",
      finished_at: finished ? now : null,
      wallets_done: sql`${portfolioRefreshRuns.wallets_done} + ${chunk.length}`,
      ok: sql`${portfolioRefreshRuns.ok} + ${counts.ok}`,
      partial: sql`${portfolioRefreshRuns.partial} + ${counts.partial}`,
      failed: sql`${portfolioRefreshRuns.failed} + ${counts.failed}`,
      cursor_created_at: endCursor?.created_at ?? run.cursor_created_at,
      cursor_address: endCursor?.address ?? run.cursor_address,
      chunks: sql`${portfolioRefreshRuns.chunks} + 1`,
      subrequests_total: sql`${portfolioRefreshRuns.subrequests_total} + ${budget.used}`,
      max_chunk_subrequests: sql`max(${portfolioRefreshRuns.max_chunk_subrequests}, ${budget.used})`,
      chunk_log: sql`json_insert(${portfolioRefreshRuns.chunk_log}, '$[#]', json(${JSON.stringify(entry)}))`,
      updated_at: now,
    })
    .where(
      and(
        eq(portfolioRefreshRuns.id, runId),
        eq(portfolioRefreshRuns.status, "running"),
        run.cursor_address === null
          ? sql`${portfolioRefreshRuns.cursor_address} IS NULL`
          : eq(portfolioRefreshRuns.cursor_address, run.cursor_address),
      ),
    )
    .returning();
  log.info("portfolio_refresh_chunk_done", {
    run: runId,
    wallets: chunk.length,
    subrequests: budget.used,
    budget: run.subrequest_budget,
    finished,
  });
  return { run: after ?? (await getRun(db, runId)), results };
}
