import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RETENTION_BATCH, runRetention } from "../src/jobs/retention";
import { runJob } from "../src/jobs/run-job";
import { api, expectErrorShape, OPERATOR_TOKEN } from "./helpers/api";
import { mint } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { openPosition } from "./helpers/positions";

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

async function insertSignal(sig: string, createdAt: string) {
  const r = await env.DB.prepare(
    "INSERT INTO signals (transaction_signature, wallet_address, signal_type, webhook_received_at, raw_payload, created_at) VALUES (?, 'RetentionWallet', 'other', ?, '{}', ?) RETURNING id",
  )
    .bind(sig, createdAt, createdAt)
    .first<{ id: number }>();
  return r?.id as number;
}

describe("retention", () => {
  it("deletes exactly what is older than retention_days, never a signal of an open position, and exports it first as JSON lines", async () => {
    await fake.reset();
    const tag = `ret${Date.now()}`;
    for (let i = 0; i < RETENTION_BATCH + 20; i++) await insertSignal(`${tag}_old_${i}`, daysAgo(100));
    const fresh = await insertSignal(`${tag}_fresh`, daysAgo(89));
    const heldSignal = await insertSignal(`${tag}_held`, daysAgo(200));
    // Outcomes (issue 16's insert-only rows): of a deleted old signal, and of the signal an open position keeps.
    const oldWithOutcome = await insertSignal(`${tag}_old_outcome`, daysAgo(100));
    await env.DB.prepare(
      "INSERT INTO signal_outcomes (signal_id, kind, reason, order_id, created_at) VALUES (?1, 'filtered', 'max_exposure', 'ord_x', ?3), (?2, 'filtered', 'max_exposure', 'ord_y', ?3)",
    )
      .bind(oldWithOutcome, heldSignal, daysAgo(100))
      .run();
    const m = mint("RETAIN");
    await fake.tokens({ mint: m, price_usd: 1 });
    const p = await openPosition(m);
    await env.DB.prepare("UPDATE positions SET signal_id = ? WHERE id = ?").bind(heldSignal, p.id).run();
    await env.DB.prepare(
      "INSERT INTO job_runs (job, status, started_at, finished_at) VALUES ('old_job', 'ok', ?1, ?1), ('old_running', 'running', ?1, NULL), ('new_job', 'ok', ?2, ?2)",
    )
      .bind(daysAgo(120), daysAgo(1))
      .run();
    await env.DB.prepare(
      "INSERT INTO alerts (kind, subject, severity, message, status, first_seen_at, last_seen_at) VALUES ('cron_late', ?1, 'warning', 'x', 'resolved', ?2, ?2), ('cron_late', ?3, 'warning', 'x', 'open', ?2, ?2)",
    )
      .bind(`${tag}_resolved`, daysAgo(95), `${tag}_open`)
      .run();

    // export before deleting: JSON lines, paged with a cursor
    const res = await exports(`/api/v1/export/signals?before=${encodeURIComponent(daysAgo(90))}&limit=100`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(100);
    expect(res.headers.get("x-next-after-id")).toBe(String(lines.at(-1).id));
    expect(lines.every((l) => l.created_at < daysAgo(90))).toBe(true);

    const run = await runJob(env, "retention", "0 0 * * *", runRetention);
    expect(run.status).toBe("ok");
    const left = async (sql: string, ...b: unknown[]) =>
      (
        await env.DB.prepare(sql)
          .bind(...b)
          .first<{ n: number }>()
      )?.n;
    expect(await left("SELECT COUNT(*) AS n FROM signals WHERE transaction_signature LIKE ?", `${tag}_old_%`)).toBe(0);
    expect(await left("SELECT COUNT(*) AS n FROM signals WHERE id = ?", fresh)).toBe(1);
    expect(await left("SELECT COUNT(*) AS n FROM signals WHERE id = ?", heldSignal)).toBe(1); // open position's history
    expect(await left("SELECT COUNT(*) AS n FROM positions WHERE id = ?", p.id)).toBe(1);
    expect(await left("SELECT COUNT(*) AS n FROM signal_outcomes WHERE signal_id = ?", oldWithOutcome)).toBe(0);
    expect(await left("SELECT COUNT(*) AS n FROM signal_outcomes WHERE signal_id = ?", heldSignal)).toBe(1);
    expect(await left("SELECT COUNT(*) AS n FROM job_runs WHERE job IN ('old_job')")).toBe(0);
    expect(await left("SELECT COUNT(*) AS n FROM job_runs WHERE job IN ('old_running', 'new_job')")).toBe(2);
    expect(await left("SELECT COUNT(*) AS n FROM alerts WHERE subject = ?", `${tag}_resolved`)).toBe(0);
    expect(await left("SELECT COUNT(*) AS n FROM alerts WHERE subject = ?", `${tag}_open`)).toBe(1);
    const detail = run.detail as { tables: { signals: { deleted: number; batches: number } } };
    expect(detail.tables.signals.deleted).toBeGreaterThanOrEqual(RETENTION_BATCH + 20);
    expect(detail.tables.signals.batches).toBeGreaterThanOrEqual(2); // in batches, not one huge DELETE
  });

  it("export refuses unknown tables and bad timestamps in the envelope", async () => {
    const bad = await api("GET", "/api/v1/export/positions?before=2026-01-01T00:00:00Z");
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body, "ValidationError");
    const noBefore = await api("GET", "/api/v1/export/signals?before=soon");
    expect(noBefore.status).toBe(400);
    expect(noBefore.body.detail).toContain("before");
  });
});

async function exports(path: string) {
  const { exports: ex } = await import("cloudflare:workers");
  return ex.default.fetch(`https://walltrack.test${path}`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
}
