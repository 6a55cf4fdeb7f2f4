import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, gte, like, lt, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { auditLog } from "../db/schema";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { createRouter } from "./router";

const AuditSchema = z
  .object({
    id: z.number().int(),
    actor: z.string().openapi({ description: "token:<short hash> or session:<issued-at>; never the secret" }),
    channel: z.enum(["api", "dashboard"]),
    action: z.string().openapi({ example: "PATCH /api/v1/config" }),
    subject: z.string().nullable(),
    request: z.unknown().nullable(),
    outcome_status: z.number().int(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditEntry");

const iso = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 timestamp");

const ListQuery = PageQuery.extend({
  channel: z.enum(["api", "dashboard"]).optional(),
  action: z.string().min(1).max(200).optional().openapi({ description: "Substring of the action" }),
  since: iso.optional(),
  before: iso.optional(),
});

const list = createRoute({
  method: "get",
  path: "/audit",
  tags: ["operations"],
  summary: "Audit trail of operator actions (API and dashboard), newest first",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: { 200: jsonContent(pageOf(AuditSchema, "AuditPage"), "A page of audit entries"), ...errorResponses(400) },
});

const parse = (v: string | null) => (v == null ? null : (JSON.parse(v) as unknown));

export const auditRouter = createRouter().openapi(list, async (c) => {
  const { page, page_size, channel, action, since, before } = c.req.valid("query");
  const where: SQL[] = [];
  if (channel) where.push(eq(auditLog.channel, channel));
  if (action) where.push(like(auditLog.action, `%${action.replace(/[%_\\]/g, "\\$&")}%`));
  if (since) where.push(gte(auditLog.created_at, new Date(since).toISOString()));
  if (before) where.push(lt(auditLog.created_at, new Date(before).toISOString()));
  const cond = where.length ? and(...where) : undefined;
  const db = getDb(c.env.DB);
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(auditLog)
      .where(cond)
      .orderBy(desc(auditLog.id))
      .limit(page_size)
      .offset((page - 1) * page_size),
    db.select({ n: count() }).from(auditLog).where(cond).get(),
  ]);
  const items = rows.map((r) => ({
    ...r,
    channel: r.channel as "api" | "dashboard",
    request: parse(r.request),
    before: parse(r.before),
    after: parse(r.after),
  }));
  return c.json({ items, total: total?.n ?? 0, page, page_size }, 200);
});
