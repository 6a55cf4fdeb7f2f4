import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { ALERT_SEVERITIES, ALERT_STATUSES, type AlertRow, alerts } from "../db/schema";
import { ALERT_KIND_NAMES } from "../domain/alerts";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { createRouter } from "./router";

export const AlertSchema = z
  .object({
    id: z.number().int(),
    kind: z.string().openapi({ example: "webhook_silent" }),
    subject: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()),
    status: z.enum(ALERT_STATUSES),
    count: z.number().int().openapi({ description: "How many times the condition was seen" }),
    first_seen_at: z.string(),
    last_seen_at: z.string(),
    acknowledged_at: z.string().nullable(),
    acknowledged_by: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolved_by: z.string().nullable(),
  })
  .openapi("Alert");

const ListQuery = PageQuery.extend({
  status: z.enum(ALERT_STATUSES).optional(),
  kind: z.enum(ALERT_KIND_NAMES).optional(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
});
const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" } }),
});

const list = createRoute({
  method: "get",
  path: "/alerts",
  tags: ["operations"],
  summary: "Alerts, latest seen first (deduplicated by kind and subject, with first/last seen and a count)",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: { 200: jsonContent(pageOf(AlertSchema, "AlertPage"), "A page of alerts"), ...errorResponses(400) },
});

const getOne = createRoute({
  method: "get",
  path: "/alerts/{id}",
  tags: ["operations"],
  summary: "One alert",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(AlertSchema, "The alert"), ...errorResponses(400, 404) },
});

const ack = createRoute({
  method: "post",
  path: "/alerts/{id}/ack",
  tags: ["operations"],
  summary: "Acknowledge an open alert (it keeps counting repeats until resolved)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(AlertSchema, "The alert, acknowledged"), ...errorResponses(400, 404, 409) },
});

const resolve = createRoute({
  method: "post",
  path: "/alerts/{id}/resolve",
  tags: ["operations"],
  summary: "Resolve an alert; the same condition seen again opens a new one",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(AlertSchema, "The alert, resolved"), ...errorResponses(400, 404, 409) },
});

export const toAlert = (r: AlertRow) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> });

/** Shared by the API and the dashboard; the conditional UPDATE makes a concurrent resolve win cleanly. */
export async function changeAlert(d1: D1Database, id: number, to: "acknowledged" | "resolved", by: string) {
  const db = getDb(d1);
  const before = await db.select().from(alerts).where(eq(alerts.id, id)).get();
  if (!before) throw new ApiError("NotFound", `no alert ${id}`);
  const at = nowIso();
  const r =
    to === "acknowledged"
      ? await d1
          .prepare(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1 AND status = 'open'",
          )
          .bind(id, at, by)
          .run()
      : await d1
          .prepare(
            "UPDATE alerts SET status = 'resolved', resolved_at = ?2, resolved_by = ?3 WHERE id = ?1 AND status != 'resolved'",
          )
          .bind(id, at, by)
          .run();
  const after = await db.select().from(alerts).where(eq(alerts.id, id)).get();
  if (!r.meta.changes || !after)
    throw new ApiError("Conflict", `alert ${id} is ${after?.status ?? before.status}; it cannot become ${to}`);
  return { before: toAlert(before), after: toAlert(after) };
}

export const alertsRouter = createRouter()
  .openapi(list, async (c) => {
    const { page, page_size, status, kind, severity } = c.req.valid("query");
    const where: SQL[] = [];
    if (status) where.push(eq(alerts.status, status));
    if (kind) where.push(eq(alerts.kind, kind));
    if (severity) where.push(eq(alerts.severity, severity));
    const db = getDb(c.env.DB);
    const cond = where.length ? and(...where) : undefined;
    const [rows, total] = await Promise.all([
      db
        .select()
        .from(alerts)
        .where(cond)
        .orderBy(desc(alerts.last_seen_at), desc(alerts.id))
        .limit(page_size)
        .offset((page - 1) * page_size),
      db.select({ n: count() }).from(alerts).where(cond).get(),
    ]);
    return c.json({ items: rows.map(toAlert), total: total?.n ?? 0, page, page_size }, 200);
  })
  .openapi(getOne, async (c) => {
    const id = c.req.valid("param").id;
    const row = await getDb(c.env.DB).select().from(alerts).where(eq(alerts.id, id)).get();
    if (!row) throw new ApiError("NotFound", `no alert ${id}`);
    return c.json(toAlert(row), 200);
  })
  .openapi(ack, async (c) => {
    const { after } = await changeAlert(c.env.DB, c.req.valid("param").id, "acknowledged", "token");
    return c.json(after, 200);
  })
  .openapi(resolve, async (c) => {
    const { after } = await changeAlert(c.env.DB, c.req.valid("param").id, "resolved", "token");
    return c.json(after, 200);
  });
