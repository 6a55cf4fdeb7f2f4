import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import {
  RECONCILIATION_FINDING_KINDS,
  RECONCILIATION_RUN_STATUSES,
  type ReconciliationFindingRow,
  type ReconciliationRunRow,
  reconciliationFindings,
  reconciliationRuns,
  WALLET_MODES,
} from "../db/schema";
import { reconciliationJob } from "../jobs/reconciliation";
import { runJob } from "../jobs/run-job";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent, PageQuery } from "./common";
import { createRouter } from "./router";

const RunSchema = z
  .object({
    id: z.number().int(),
    trigger: z.string().openapi({ description: "cron (hourly) or api" }),
    status: z.enum(RECONCILIATION_RUN_STATUSES),
    wallet_address: z.string().nullable().openapi({ description: "the trading wallet compared, when known" }),
    holdings_checked: z.boolean(),
    holdings_skip_reason: z
      .string()
      .nullable()
      .openapi({ description: "why holdings were not compared (no WALLET_PRIVATE_KEY, refresh failed)" }),
    holdings_snapshot_at: z.string().nullable(),
    positions_checked: z.number().int(),
    findings: z.number().int(),
    positions_closed: z.number().int().openapi({ description: "closed as sold_externally by this run" }),
    alerts_resolved: z.number().int(),
    error: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("ReconciliationRun");

const FindingSchema = z
  .object({
    id: z.number().int(),
    run_id: z.number().int(),
    kind: z.enum(RECONCILIATION_FINDING_KINDS),
    subject: z.string().openapi({ description: "also the subject of its `reconciliation` alert" }),
    position_id: z.string().nullable(),
    token_mint: z.string().nullable(),
    mode: z.enum(WALLET_MODES).nullable(),
    expected: z.string().nullable().openapi({ description: "base units (holdings) or USD (pnl_mismatch)" }),
    actual: z.string().nullable(),
    observations: z.number().int().nullable(),
    action: z.string().nullable().openapi({ example: "closed_sold_externally" }),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi("ReconciliationFinding");

const ResultSchema = z
  .object({
    run: RunSchema.nullable().openapi({ description: "the run asked for, else the latest; null before any" }),
    findings: z.array(FindingSchema),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    recent_runs: z.array(RunSchema),
  })
  .openapi("Reconciliation");

// Strict: an unknown or misspelt parameter is refused, never silently ignored.
const ListQuery = PageQuery.extend({
  run_id: z.coerce.number().int().positive().optional(),
  kind: z.enum(RECONCILIATION_FINDING_KINDS).optional(),
}).strict();

const list = createRoute({
  method: "get",
  path: "/reconciliation",
  tags: ["operations"],
  summary: "Findings of a reconciliation run (the latest by default): positions vs orders vs the wallet's holdings",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: { 200: jsonContent(ResultSchema, "A run and a page of its findings"), ...errorResponses(400, 404) },
});

const run = createRoute({
  method: "post",
  path: "/reconciliation/run",
  tags: ["operations"],
  summary: "Run the reconciliation now (same job as the hourly cron); one run at a time",
  security: bearerSecurity,
  request: { query: z.object({}).strict() },
  responses: {
    200: jsonContent(ResultSchema, "The finished run and its findings"),
    ...errorResponses(400, 409),
  },
});

const toRun = (r: ReconciliationRunRow) => r;
const toFinding = (r: ReconciliationFindingRow) => ({
  ...r,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

async function resultOf(d1: D1Database, runId: number | undefined, kind: string | undefined, page = 1, pageSize = 50) {
  const db = getDb(d1);
  const recent = await db.select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(10);
  const chosen =
    runId === undefined
      ? (recent[0] ?? null)
      : ((await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, runId)).get()) ?? null);
  if (runId !== undefined && !chosen) throw new ApiError("NotFound", `no reconciliation run ${runId}`);
  let findings: ReconciliationFindingRow[] = [];
  let total = 0;
  if (chosen) {
    const where: SQL[] = [eq(reconciliationFindings.run_id, chosen.id)];
    if (kind) where.push(eq(reconciliationFindings.kind, kind as ReconciliationFindingRow["kind"]));
    const cond = and(...where);
    [findings, total] = await Promise.all([
      db
        .select()
        .from(reconciliationFindings)
        .where(cond)
        .orderBy(reconciliationFindings.id)
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      db
        .select({ n: count() })
        .from(reconciliationFindings)
        .where(cond)
        .get()
        .then((r) => r?.n ?? 0),
    ]);
  }
  return {
    run: chosen ? toRun(chosen) : null,
    findings: findings.map(toFinding),
    total,
    page,
    page_size: pageSize,
    recent_runs: recent.map(toRun),
  };
}

export const reconciliationRouter = createRouter()
  .openapi(list, async (c) => {
    const { run_id, kind, page, page_size } = c.req.valid("query");
    return c.json(await resultOf(c.env.DB, run_id, kind, page, page_size), 200);
  })
  .openapi(run, async (c) => {
    // Through runJob, so a manual run is recorded in job_runs and the heartbeat like the hourly one; the
    // audit trail records the operator's action (every POST under /api is audited).
    const result = await runJob(c.env, "reconciliation", null, reconciliationJob("api"));
    if (result.status === "skipped")
      throw new ApiError("Conflict", "a reconciliation run is already in progress; try again when it finishes");
    if (result.status === "error")
      throw new ApiError("UpstreamUnavailable", `reconciliation failed: ${String(result.detail?.error ?? "unknown")}`);
    const runId = Number(result.detail?.run_id);
    return c.json(await resultOf(c.env.DB, runId, undefined, 1, 200), 200);
  });
