import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runRetention } from "../src/jobs/retention";
import { runJob } from "../src/jobs/run-job";
import { api } from "./helpers/api";

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

/** A hand-made reconciliation run started `age` days ago, with `findings` findings of the same age. */
async function run(status: "ok" | "error" | "running", age: number, findings = 0) {
  const at = daysAgo(age);
  const r = await env.DB.prepare(
    "INSERT INTO reconciliation_runs (trigger, status, findings, started_at, finished_at) VALUES ('cron', ?1, ?2, ?3, ?4) RETURNING id",
  )
    .bind(status, findings, at, status === "running" ? null : at)
    .first<{ id: number }>();
  const id = r?.id as number;
  for (let i = 0; i < findings; i++)
    await env.DB.prepare(
      "INSERT INTO reconciliation_findings (run_id, kind, subject, message, created_at) VALUES (?1, 'pnl_mismatch', ?2, 'x', ?3)",
    )
      .bind(id, `pnl_mismatch:ret-${id}-${i}`, at)
      .run();
  return id;
}

const runIds = async () =>
  (await env.DB.prepare("SELECT id FROM reconciliation_runs ORDER BY id").all<{ id: number }>()).results.map(
    (r) => r.id,
  );
const findingRuns = async () =>
  (
    await env.DB.prepare("SELECT run_id FROM reconciliation_findings ORDER BY id").all<{ run_id: number }>()
  ).results.map((r) => r.run_id);

describe("retention of reconciliation runs and their findings", () => {
  it("deletes runs older than retention_days with their findings, never the latest run nor the latest finished one", async () => {
    await env.DB.batch([
      env.DB.prepare("DELETE FROM reconciliation_findings"),
      env.DB.prepare("DELETE FROM reconciliation_runs"),
    ]);
    const oldOk = await run("ok", 120, 2);
    const oldError = await run("error", 110);
    const deadRunning = await run("running", 105); // its lease (15 min) ran out long ago
    const latestOk = await run("ok", 100, 1);
    const latest = await run("error", 95);

    // Archived first: the old findings are in the export.
    const exported = await api(
      "GET",
      `/api/v1/export/reconciliation_findings?before=${encodeURIComponent(daysAgo(90))}`,
    );
    expect(exported.status).toBe(200);
    expect(String(exported.body)).toContain(`pnl_mismatch:ret-${oldOk}-0`);

    const first = await runJob(env, "retention", "0 0 * * *", runRetention);
    expect(first.status).toBe("ok");
    expect(await runIds()).toEqual([latestOk, latest]);
    expect(await findingRuns()).toEqual([latestOk]); // the deleted runs' findings went first, the kept run's stayed
    const detail = first.detail as { tables: Record<string, { deleted: number }> };
    expect(detail.tables.reconciliation_findings?.deleted).toBe(2);
    expect(detail.tables.reconciliation_runs?.deleted).toBe(3);
    expect([oldError, deadRunning]).not.toContain(latest);

    // A fresh run is now the latest (and the latest finished): the two old ones kept so far go.
    const fresh = await run("ok", 1, 1);
    await runJob(env, "retention", "0 0 * * *", runRetention);
    expect(await runIds()).toEqual([fresh]);
    expect(await findingRuns()).toEqual([fresh]);
  });

  it("a run whose findings are younger than the cutoff waits with them (the foreign key never breaks)", async () => {
    await env.DB.batch([
      env.DB.prepare("DELETE FROM reconciliation_findings"),
      env.DB.prepare("DELETE FROM reconciliation_runs"),
    ]);
    const straddling = await run("ok", 91);
    // Its finding was written a day after the run started (a long run): inside the retention period.
    await env.DB.prepare(
      "INSERT INTO reconciliation_findings (run_id, kind, subject, message, created_at) VALUES (?1, 'pnl_mismatch', 'pnl_mismatch:late', 'x', ?2)",
    )
      .bind(straddling, daysAgo(89))
      .run();
    const fresh = await run("ok", 0);
    const r = await runJob(env, "retention", "0 0 * * *", runRetention);
    expect(r.status).toBe("ok");
    expect(await runIds()).toEqual([straddling, fresh]);
    expect(await findingRuns()).toEqual([straddling]);
  });
});
