import { DurableObject } from "cloudflare:workers";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { activeRun, getRun, runNextChunk } from "../src/db/portfolio-refresh-run";
import { log, redact } from "../src/lib/logger";

/**
 * Continues a refresh-all after the request's own chunk: one chunk per alarm, each alarm being its own
 * invocation with its own subrequest budget (`max_subrequests_per_invocation`). The run's progress lives
 * in D1 (`portfolio_refresh_runs`, visible at GET /api/wallets/refresh-all/{run_id}); this object only
 * remembers which run to continue, so an eviction or a duplicate alarm loses or doubles nothing.
 * Singleton: getByName("default").
 */
export class PortfolioRefresher extends DurableObject<Env> {
  /** Continue `runId` from its cursor, starting at once. */
  async continueRun(runId: string): Promise<void> {
    await this.ctx.storage.put("run_id", runId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Watchdog (minute cron): re-arm a running run whose alarm was lost. */
  async ensureScheduled(): Promise<{ rearmed: boolean }> {
    const run = await activeRun(getDb(this.env.DB));
    if (!run) return { rearmed: false };
    if ((await this.ctx.storage.getAlarm()) !== null) return { rearmed: false };
    await this.continueRun(run.id);
    return { rearmed: true };
  }

  override async alarm(): Promise<void> {
    const runId = await this.ctx.storage.get<string>("run_id");
    if (!runId) return;
    const db = getDb(this.env.DB);
    let again = false;
    try {
      const cfg = await loadConfig(db);
      const { run } = await runNextChunk(this.env, db, runId, {
        fundedThresholdSol: cfg.funded_threshold_sol,
        metadataRetrySeconds: cfg.token_cache_ttl_seconds,
      });
      again = run?.status === "running";
    } catch (err) {
      log.error("portfolio_refresh_chunk_failed", { run: runId, error: redact(err) });
      again = (await getRun(db, runId).catch(() => undefined))?.status !== "done";
    } finally {
      // Re-armed in finally: the next chunk runs in a fresh invocation (and a failed one is retried).
      if (again) await this.ctx.storage.setAlarm(Date.now() + 100);
      else await this.ctx.storage.delete("run_id");
    }
  }
}
