import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HeliusTxSchema } from "../domain/helius-tx";
import { safeEqual, tooMany } from "../lib/auth";
import { clientAddress, countFailure } from "../lib/edge-limits";
import { ApiError, errorBody, formatZodIssues } from "../lib/errors";
import { jsonBoundsViolation } from "../lib/json-bounds";
import { log } from "../lib/logger";
import { type HandOffItem, handOff } from "../pipeline/wallet-handoff";
import { countUsage, flushUsageIfDue } from "../upstream/usage-counter";
import { errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";

/** Helius retries any 4xx but 403 and drops bodies it cannot deliver; 1 MB is far above a real delivery. */
export const WEBHOOK_MAX_BYTES = 1024 * 1024;
/**
 * One item's bounds. A real enhanced transaction nests about 8 levels (events.swap.innerSwaps[].tokenInputs[]
 * .rawTokenAmount) and weighs a few KB; beyond these an item is rejected alone, before the hand-off, so it
 * can neither fail the RPC to the WalletActor for the good items of its delivery nor sit in an inbox.
 */
export const WEBHOOK_ITEM_BOUNDS = { maxDepth: 32, maxBytes: 256 * 1024 };

/**
 * Helius echoes the webhook's `authHeader` verbatim in `Authorization` (no "Bearer", no HMAC): compare the
 * whole string in constant time. A mismatch answers 403, the one status Helius does not retry, before the
 * body is read. An unset secret answers 503: the endpoint is never open.
 */
function heliusAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const secret = c.env.HELIUS_WEBHOOK_SECRET;
    if (!secret) throw new ApiError("NotConfigured", "HELIUS_WEBHOOK_SECRET is not configured; webhooks are refused");
    const given = c.req.header("authorization") ?? "";
    if (!(await safeEqual(given, secret))) {
      // Only failures touch the per-address counter: Helius's deliveries never wait on it (issue 12).
      const v = await countFailure(c.env, "webhook", clientAddress(c));
      log.warn("webhook_auth_failed", { path: c.req.path, has_header: given.length > 0, blocked: v.blocked });
      if (v.blocked) return tooMany(c, "webhook", v.retry_after_seconds);
      return c.json(errorBody("Forbidden", "missing or invalid webhook authorization"), 403);
    }
    await next();
  };
}

const CountsSchema = z
  .object({
    accepted: z.number().int().openapi({ description: "Transactions newly persisted by a WalletActor" }),
    duplicates: z.number().int().openapi({ description: "Transactions already received (redelivery)" }),
    ignored: z.number().int().openapi({ description: "Transactions that involve no watched wallet" }),
    rejected: z.number().int().openapi({ description: "Malformed items (not stored)" }),
    errors: z.array(z.object({ index: z.number().int(), detail: z.string() })),
  })
  .openapi("WebhookAck");

const postHelius = createRoute({
  method: "post",
  path: "/webhooks/helius",
  tags: ["webhooks"],
  summary: "Helius enhanced-transaction webhook",
  description:
    "Authenticated by the `Authorization` header Helius echoes. Answers 200 only after every accepted " +
    "transaction is persisted by its WalletActor. A malformed item is counted as rejected without affecting the others.",
  request: {
    headers: z.object({ authorization: z.string().optional() }),
    body: { content: { "application/json": { schema: z.array(z.unknown()) } }, required: true },
  },
  responses: {
    200: jsonContent(CountsSchema, "Counts of the delivery's items"),
    ...errorResponses(400, 403, 413, 415, 429),
  },
});

export const webhooksRouter = createRouter();

webhooksRouter.use(postHelius.path, heliusAuth());
webhooksRouter.use(
  postHelius.path,
  bodyLimit({
    maxSize: WEBHOOK_MAX_BYTES,
    onError: (c) => c.json(errorBody("PayloadTooLarge", `body exceeds ${WEBHOOK_MAX_BYTES} bytes`), 413),
  }),
);

webhooksRouter.openapi(postHelius, async (c) => {
  const receivedAt = Date.now();
  const items = c.req.valid("json");
  const errors: { index: number; detail: string }[] = [];
  const valid: HandOffItem[] = [];
  items.forEach((raw, index) => {
    const outOfBounds = jsonBoundsViolation(raw, WEBHOOK_ITEM_BOUNDS);
    if (outOfBounds) {
      errors.push({ index, detail: `item: ${outOfBounds}` });
      return;
    }
    const parsed = HeliusTxSchema.safeParse(raw);
    if (parsed.success) valid.push({ tx: parsed.data, raw });
    else errors.push({ index, detail: formatZodIssues(parsed.error.issues) });
  });
  if (errors.length) log.warn("webhook_items_rejected", { count: errors.length, first: errors[0] });

  // Helius bills and limits webhook events: counted in memory, written behind the answer (issue 12).
  countUsage("helius.events", items.length, receivedAt);
  try {
    c.executionCtx.waitUntil(flushUsageIfDue());
  } catch {
    // No execution context (a bare app.request in a test): the next flush writes the count.
  }
  const res = await handOff(c.env, valid, receivedAt);
  // Every hand-off is settled before answering; if any failed the answer is 5xx so Helius redelivers — what
  // was persisted then counts as duplicate.
  if (res.failures.length > 0) {
    log.error("webhook_handoff_failed", { failed: res.failures.length, of: res.groups, error: res.failures[0] });
    throw new ApiError("UpstreamUnavailable", "a wallet actor could not take the delivery; retry");
  }
  const accepted = res.outcomes.filter((s) => s === "accepted").length;
  const duplicates = res.outcomes.filter((s) => s === "duplicate").length;
  const ignored = res.outcomes.filter((s) => s === "ignored").length;
  const body = { accepted, duplicates, ignored, rejected: errors.length, errors };
  log.info("webhook_received", { ...body, errors: undefined, items: items.length, ms: Date.now() - receivedAt });
  return c.json(body, 200);
});
