import { createRoute, z } from "@hono/zod-openapi";
import { count, desc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { tokens } from "../db/schema";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent, PageQuery, pageOf } from "./common";
import { createRouter } from "./router";

/** The token cache (metadata, safety parts and the chosen pair), read-only: the safety check writes it. */
const TokenSchema = z
  .object({
    mint_address: z.string(),
    name: z.string().nullable(),
    symbol: z.string().nullable(),
    decimals: z.number().int().nullable(),
    token_program: z.string().nullable(),
    dex_name: z
      .string()
      .nullable()
      .openapi({ description: "DEX of the pair the safety check used (DexScreener dexId)" }),
    pair_address: z.string().nullable().openapi({ description: "Address of that pair (the most liquid one)" }),
    safety_score: z.number().nullable(),
    liquidity_usd: z.number().nullable(),
    top10_holder_percent: z.number().nullable(),
    token_age_hours: z.number().nullable(),
    pair_created_at: z.string().nullable(),
    mint_authority: z.string().nullable(),
    freeze_authority: z.string().nullable(),
    rugcheck_score: z.number().nullable(),
    rugcheck_risk_level: z.string().nullable(),
    is_rugged: z.boolean().nullable(),
    transfer_fee_bps: z.number().int().nullable(),
    contract_flags: z.array(z.string()).nullable(),
    check_liquidity_passed: z.boolean().nullable(),
    check_holders_passed: z.boolean().nullable(),
    check_contract_passed: z.boolean().nullable(),
    check_age_passed: z.boolean().nullable(),
    safety_source: z.string().nullable(),
    safety_checked_at: z.string().nullable(),
    price_usd: z.number().nullable(),
    metadata_updated_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Token");

type TokenRow = typeof tokens.$inferSelect;
const present = (row: TokenRow) => {
  let flags: string[] | null = null;
  try {
    flags = row.contract_flags ? (JSON.parse(row.contract_flags) as string[]) : null;
  } catch {
    flags = null; // written by this code as JSON; a hand-edited row is shown without flags rather than failing
  }
  return { ...row, contract_flags: flags };
};

const Mint = z
  .string()
  .regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, "must be a base58 mint address")
  .openapi({ param: { name: "mint", in: "path" } });

const listTokens = createRoute({
  method: "get",
  path: "/tokens",
  tags: ["tokens"],
  summary: "Cached tokens (metadata, safety score and parts, chosen pair), most recently checked first",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: jsonContent(pageOf(TokenSchema, "TokenPage"), "A page of tokens"), ...errorResponses(400) },
});

const getToken = createRoute({
  method: "get",
  path: "/tokens/{mint}",
  tags: ["tokens"],
  summary: "One cached token",
  security: bearerSecurity,
  request: { params: z.object({ mint: Mint }) },
  responses: { 200: jsonContent(TokenSchema, "The token"), ...errorResponses(400, 404) },
});

export const tokensRouter = createRouter()
  .openapi(listTokens, async (c) => {
    const q = c.req.valid("query");
    const db = getDb(c.env.DB);
    const [rows, total] = await Promise.all([
      db
        .select()
        .from(tokens)
        .orderBy(desc(tokens.updated_at), desc(tokens.mint_address))
        .limit(q.page_size)
        .offset((q.page - 1) * q.page_size)
        .all(),
      db.select({ n: count() }).from(tokens).get(),
    ]);
    return c.json({ items: rows.map(present), total: total?.n ?? 0, page: q.page, page_size: q.page_size }, 200);
  })
  .openapi(getToken, async (c) => {
    const { mint } = c.req.valid("param");
    const row = await getDb(c.env.DB).select().from(tokens).where(eq(tokens.mint_address, mint)).get();
    if (!row) throw new ApiError("NotFound", `no cached token ${mint}`);
    return c.json(present(row), 200);
  });
