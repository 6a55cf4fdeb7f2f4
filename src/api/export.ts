import { createRoute, z } from "@hono/zod-openapi";
import { RETENTION_TABLES, type RetentionTable } from "../jobs/retention";
import { bearerSecurity, errorResponses } from "./common";
import { createRouter } from "./router";

const MAX_LIMIT = 5000;
const TIME_COLUMN: Record<RetentionTable, string> = {
  signals: RETENTION_TABLES.signals.time,
  job_runs: RETENTION_TABLES.job_runs.time,
  alerts: RETENTION_TABLES.alerts.time,
  notifications: RETENTION_TABLES.notifications.time,
  reconciliation_findings: RETENTION_TABLES.reconciliation_findings.time,
  reconciliation_runs: RETENTION_TABLES.reconciliation_runs.time,
};

const Params = z.object({
  table: z
    .enum(Object.keys(RETENTION_TABLES) as [RetentionTable, ...RetentionTable[]])
    .openapi({ param: { name: "table", in: "path" } }),
});
const Query = z.object({
  before: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 timestamp")
    .openapi({ example: "2026-09-01T00:00:00Z" }),
  after_id: z.coerce.number().int().min(0).default(0).openapi({ description: "Cursor: the last id already exported" }),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(1000),
});

const exportRoute = createRoute({
  method: "get",
  path: "/export/{table}",
  tags: ["operations"],
  summary:
    "Rows older than `before`, as JSON lines (archive them before the daily retention deletes them); page with after_id = the `x-next-after-id` header",
  security: bearerSecurity,
  request: { params: Params, query: Query },
  responses: {
    200: { description: "One JSON object per line", content: { "application/x-ndjson": { schema: z.string() } } },
    ...errorResponses(400),
  },
});

export const exportRouter = createRouter().openapi(exportRoute, async (c) => {
  const { table } = c.req.valid("param");
  const { before, after_id, limit } = c.req.valid("query");
  const rows = await c.env.DB.prepare(
    `SELECT * FROM ${table} WHERE ${TIME_COLUMN[table]} < ? AND id > ? ORDER BY id LIMIT ?`,
  )
    .bind(new Date(before).toISOString(), after_id, limit)
    .all<{ id: number }>();
  const body = rows.results.map((r) => JSON.stringify(r)).join("\n");
  const last = rows.results.at(-1)?.id;
  const headers: Record<string, string> = {
    "content-type": "application/x-ndjson; charset=utf-8",
    "x-row-count": String(rows.results.length),
  };
  if (rows.results.length === limit && last != null) headers["x-next-after-id"] = String(last);
  // A streamed-text answer: zod-openapi types only JSON bodies, hence the cast.
  return new Response(body ? `${body}\n` : "", { status: 200, headers }) as never;
});
