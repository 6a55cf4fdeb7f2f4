import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt, gte, lte, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { SIGNAL_TYPES, signals } from "../db/schema";
import { bearerSecurity, errorResponses } from "./common";
import { createRouter } from "./router";

/**
 * GET /signals/export (issue 14): the raw payloads of stored signals as JSON lines, one enhanced
 * transaction per line as Helius delivered it, oldest first — the input `npm run replay` reads back.
 * Mounted before the signals router so that "export" is never read as a signal id.
 */
const PAGE = 500;

const ExportQuery = z.object({
  wallet: z.string().min(1).max(64).optional().openapi({ description: "Watched wallet address or id" }),
  type: z.enum(SIGNAL_TYPES).optional(),
  since: z.iso.datetime().optional().openapi({ description: "received at or after (ISO)" }),
  until: z.iso.datetime().optional().openapi({ description: "received at or before (ISO)" }),
  limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

const route = createRoute({
  method: "get",
  path: "/signals/export",
  tags: ["signals"],
  summary: "Raw payloads of stored signals as JSON lines (application/x-ndjson), oldest first",
  security: bearerSecurity,
  request: { query: ExportQuery },
  responses: {
    200: {
      description: "One enhanced transaction per line",
      content: { "application/x-ndjson": { schema: z.string() } },
    },
    ...errorResponses(400),
  },
});

export const signalsExportRouter = createRouter().openapi(route, async (c) => {
  const q = c.req.valid("query");
  const db = getDb(c.env.DB);
  const base: SQL[] = [];
  if (q.wallet !== undefined)
    base.push(/^\d+$/.test(q.wallet) ? eq(signals.wallet_id, Number(q.wallet)) : eq(signals.wallet_address, q.wallet));
  if (q.type) base.push(eq(signals.signal_type, q.type));
  if (q.since) base.push(gte(signals.webhook_received_at, new Date(q.since).toISOString()));
  if (q.until) base.push(lte(signals.webhook_received_at, new Date(q.until).toISOString()));
  const lines: string[] = [];
  let after = 0;
  // Keyset pages by id (the order signals were recorded); a payload stored as non-JSON text is skipped.
  while (lines.length < q.limit) {
    const page = await db
      .select({ id: signals.id, raw: signals.raw_payload })
      .from(signals)
      .where(and(...base, gt(signals.id, after)))
      .orderBy(asc(signals.id))
      .limit(Math.min(PAGE, q.limit - lines.length));
    for (const r of page) {
      after = r.id;
      try {
        lines.push(JSON.stringify(JSON.parse(r.raw)));
      } catch {
        // not JSON: nothing a replay could read back
      }
    }
    if (page.length < PAGE) break;
  }
  // A plain Response: the typed helpers only know JSON bodies for a documented 200.
  return new Response(lines.length ? `${lines.join("\n")}\n` : "", {
    status: 200,
    headers: { "content-type": "application/x-ndjson; charset=utf-8" },
  }) as never;
});
