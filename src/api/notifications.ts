import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { loadConfig } from "../db/config-store";
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  NOTIFICATION_STATUSES,
  type NotificationRow,
  notifications,
} from "../db/schema";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { createRouter } from "./router";

export const NotificationSchema = z
  .object({
    id: z.number().int(),
    channel: z.enum(NOTIFICATION_CHANNELS),
    event_key: z.string().openapi({ example: "alert:12" }),
    kind: z.enum(NOTIFICATION_KINDS),
    payload: z.record(z.string(), z.unknown()),
    status: z.enum(NOTIFICATION_STATUSES),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    next_attempt_at: z.string().openapi({ description: "When a pending notification is tried next" }),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Notification");

const toNotification = ({ lease_until: _l, payload, ...r }: NotificationRow) => ({
  ...r,
  payload: JSON.parse(payload) as Record<string, unknown>,
});

const ListQuery = PageQuery.extend({
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  channel: z.enum(NOTIFICATION_CHANNELS).optional(),
  kind: z.enum(NOTIFICATION_KINDS).optional(),
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
  path: "/notifications",
  tags: ["operations"],
  summary: "Outbound notifications (Telegram, webhook), newest first, with attempts, last error and delivery time",
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: {
    200: jsonContent(pageOf(NotificationSchema, "NotificationPage"), "A page of notifications"),
    ...errorResponses(400),
  },
});

const getOne = createRoute({
  method: "get",
  path: "/notifications/{id}",
  tags: ["operations"],
  summary: "One notification",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(NotificationSchema, "The notification"), ...errorResponses(400, 404) },
});

const retry = createRoute({
  method: "post",
  path: "/notifications/{id}/retry",
  tags: ["operations"],
  summary: "Make a pending notification due now (after fixing its channel); the minute job sends it",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(NotificationSchema, "The notification, due now"), ...errorResponses(400, 404, 409) },
});

const test = createRoute({
  method: "post",
  path: "/notifications/test",
  tags: ["operations"],
  summary: "Queue a test message to every channel that is on (telegram_chat_id, notify_webhook_url)",
  security: bearerSecurity,
  responses: {
    202: jsonContent(z.object({ items: z.array(NotificationSchema) }), "The queued test notifications"),
    ...errorResponses(422),
  },
});

export const notificationsRouter = createRouter()
  .openapi(list, async (c) => {
    const { page, page_size, status, channel, kind } = c.req.valid("query");
    const where: SQL[] = [];
    if (status) where.push(eq(notifications.status, status));
    if (channel) where.push(eq(notifications.channel, channel));
    if (kind) where.push(eq(notifications.kind, kind));
    const db = getDb(c.env.DB);
    const cond = where.length ? and(...where) : undefined;
    const [rows, total] = await Promise.all([
      db
        .select()
        .from(notifications)
        .where(cond)
        .orderBy(desc(notifications.id))
        .limit(page_size)
        .offset((page - 1) * page_size),
      db.select({ n: count() }).from(notifications).where(cond).get(),
    ]);
    return c.json({ items: rows.map(toNotification), total: total?.n ?? 0, page, page_size }, 200);
  })
  .openapi(test, async (c) => {
    const cfg = await loadConfig(getDb(c.env.DB));
    const on = [
      ...(cfg.telegram_chat_id ? (["telegram"] as const) : []),
      ...(cfg.notify_webhook_url ? (["webhook"] as const) : []),
    ];
    if (on.length === 0)
      throw new ApiError("RuleRefused", "no channel is on: set telegram_chat_id or notify_webhook_url in the config");
    const at = nowIso();
    const rows = await getDb(c.env.DB)
      .insert(notifications)
      .values(
        on.map((channel) => ({
          channel,
          event_key: `test:${at}`,
          kind: "test" as const,
          payload: JSON.stringify({ requested_at: at }),
          next_attempt_at: at,
          created_at: at,
        })),
      )
      .onConflictDoNothing()
      .returning();
    return c.json({ items: rows.map(toNotification) }, 202);
  })
  .openapi(getOne, async (c) => {
    const id = c.req.valid("param").id;
    const row = await getDb(c.env.DB).select().from(notifications).where(eq(notifications.id, id)).get();
    if (!row) throw new ApiError("NotFound", `no notification ${id}`);
    return c.json(toNotification(row), 200);
  })
  .openapi(retry, async (c) => {
    const id = c.req.valid("param").id;
    const db = getDb(c.env.DB);
    const row = await db
      .update(notifications)
      .set({ next_attempt_at: nowIso() })
      .where(and(eq(notifications.id, id), eq(notifications.status, "pending")))
      .returning()
      .get();
    if (row) return c.json(toNotification(row), 200);
    const exists = await db
      .select({ status: notifications.status })
      .from(notifications)
      .where(eq(notifications.id, id))
      .get();
    if (!exists) throw new ApiError("NotFound", `no notification ${id}`);
    throw new ApiError("Conflict", `notification ${id} is already ${exists.status}`);
  });
