import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "./common";
import { createRouter } from "./router";
import { findWallet } from "./wallets";

/**
 * A watched wallet's inbox, as its WalletActor keeps it: every delivered transaction until processed, and
 * the ones parked `dead` after their processing kept failing (issue 9, item 13) — visible here with their
 * attempts and last error, each also a signal filtered `invalid_transaction`, and requeued on request.
 */
const INBOX_STATES = ["received", "recorded", "done", "parking", "dead"] as const;

const InboxRowSchema = z
  .object({
    signature: z.string(),
    state: z.enum(INBOX_STATES),
    signal_id: z.number().int().nullable(),
    signal_type: z.string().nullable(),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable().openapi({ description: "When the actor tries again (null when idle)" }),
    last_error: z.string().nullable(),
  })
  .openapi("InboxRow");

const WalletParam = z.object({
  id_or_address: z.string().openapi({ param: { name: "id_or_address", in: "path" }, example: "1" }),
});

const listInbox = createRoute({
  method: "get",
  path: "/wallets/{id_or_address}/inbox",
  tags: ["wallets"],
  summary: "The wallet's inbox (newest first); state=dead lists the parked transactions",
  security: bearerSecurity,
  request: {
    params: WalletParam,
    query: z.object({
      state: z.enum(INBOX_STATES).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: jsonContent(z.object({ items: z.array(InboxRowSchema) }).openapi("InboxPage"), "Inbox rows"),
    ...errorResponses(400, 404),
  },
});

const requeueInbox = createRoute({
  method: "post",
  path: "/wallets/{id_or_address}/inbox/{signature}/retry",
  tags: ["wallets"],
  summary: "Requeue a dead inbox row with a fresh attempt count",
  security: bearerSecurity,
  request: {
    params: WalletParam.extend({
      signature: z
        .string()
        .regex(/^[1-9A-HJ-NP-Za-km-z]{32,100}$/, "must be a base58 transaction signature")
        .openapi({ param: { name: "signature", in: "path" } }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ signature: z.string(), state: z.enum(INBOX_STATES) }).openapi("InboxRequeued"),
      "Requeued",
    ),
    ...errorResponses(400, 404, 409),
  },
});

export const walletInboxRouter = createRouter();

walletInboxRouter.openapi(listInbox, async (c) => {
  const wallet = await findWallet(getDb(c.env.DB), c.req.valid("param").id_or_address);
  const { state, limit } = c.req.valid("query");
  const rows = await c.env.WALLET_ACTOR.getByName(wallet.address).inbox(limit, state);
  const idle = new Set(["done", "dead"]);
  const items = rows.map((r) => ({
    signature: r.signature,
    state: r.state,
    signal_id: r.signal_id,
    signal_type: r.signal_type,
    attempts: r.attempts,
    next_attempt_at: idle.has(r.state) ? null : new Date(r.next_attempt_ms).toISOString(),
    last_error: r.last_error,
  }));
  return c.json({ items }, 200);
});

walletInboxRouter.openapi(requeueInbox, async (c) => {
  const { id_or_address, signature } = c.req.valid("param");
  const wallet = await findWallet(getDb(c.env.DB), id_or_address);
  const res = await c.env.WALLET_ACTOR.getByName(wallet.address).requeue(signature);
  if (res.state === null) throw new ApiError("NotFound", `no inbox row ${signature} for wallet ${wallet.address}`);
  if (!res.requeued)
    throw new ApiError("Conflict", `inbox row ${signature} is ${res.state}; only a dead row is requeued`);
  return c.json({ signature, state: res.state }, 200);
});
