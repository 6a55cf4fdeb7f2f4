import { z } from "@hono/zod-openapi";
import { FUNDING_STATUSES, PORTFOLIO_STATUSES } from "../db/schema";
import { addressProblem } from "../domain/address";
import { ErrorSchema } from "./common";

/** A base58 Solana address (32 bytes), checked with @solana/kit; the same rule as the watchlist. */
export const SolanaAddress = z
  .string()
  .superRefine((s, ctx) => {
    const problem = addressProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({ example: "83astBRguLMdt2h5U1Tpdq5tjFoJ6noeGwaY3mDLVcri" });

export const WalletAddressParam = z.object({
  wallet_address: SolanaAddress.openapi({ param: { name: "wallet_address", in: "path" } }),
});

const Iso = z.string().openapi({ example: "2026-11-21T08:00:00.000Z" });
/** An ISO-8601 date-time with an explicit offset, normalised to the stored UTC form. */
const IsoInput = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s).toISOString())
  .openapi({ example: "2026-11-22T08:00:00Z" });

const Label = z.string().trim().min(1).max(100);
const Notes = z.string().max(2000);
export const WALLET_TYPES = ["launch", "trading", "funding", "other"] as const;

export const TokenHoldingSchema = z
  .object({
    mint_address: z.string(),
    name: z.string().nullable().openapi({ description: "From the token metadata cache; null when unknown" }),
    ticker: z.string().nullable(),
    balance: z.string().openapi({ description: "Base units as integer text (u64)", example: "420000000000000" }),
    ui_balance: z.string().openapi({ description: "balance / 10^decimals, exact decimal text", example: "420000000" }),
    decimals: z.number().int(),
    token_program: z.string().openapi({ description: "Tokenkeg… (SPL Token) or Tokenz… (Token-2022)" }),
    updated_at: Iso,
  })
  .openapi("TokenHolding");

const CacheFields = {
  cached_at: Iso.nullable().openapi({
    description: "When the data was fetched from Solana (oldest part); null = never",
  }),
  cache_age_seconds: z.number().int().nullable(),
  is_stale: z.boolean().openapi({ description: "Never refreshed, or older than config portfolio_stale_seconds" }),
};

const PARTS = z.enum(["balance", "holdings", "funding"]);

export const FundingTransactionSchema = z
  .object({
    signature: z.string(),
    slot: z.number().int(),
    block_time: Iso.nullable(),
    succeeded: z.boolean(),
    memo: z.string().nullable(),
    confirmation_status: z.string().nullable(),
  })
  .openapi("FundingTransaction");

export const FundingTransferSchema = z
  .object({
    signature: z.string(),
    sender: z.string(),
    amount_sol: z.number(),
    amount_lamports: z.string(),
    slot: z.number().int().nullable(),
    block_time: Iso.nullable(),
  })
  .openapi("FundingTransfer");

export const WalletInfoSchema = z
  .object({
    address: z.string(),
    label: z.string().nullable(),
    wallet_type: z.string(),
    status: z.enum(PORTFOLIO_STATUSES),
    notes: z.string().nullable(),
    first_funded_at: Iso.nullable(),
    last_balance_sol: z.number().nullable(),
    last_balance_lamports: z.string().nullable(),
    launch_count: z.number().int(),
    created_at: Iso,
    updated_at: Iso,
    balance_refreshed_at: Iso.nullable(),
    holdings_refreshed_at: Iso.nullable(),
    funding_refreshed_at: Iso.nullable(),
    last_refresh_at: Iso.nullable(),
    last_refresh_errors: z.partialRecord(PARTS, z.string()).nullable(),
    ...CacheFields,
    token_holdings: z.array(TokenHoldingSchema),
    recent_transactions: z
      .array(FundingTransactionSchema)
      .optional()
      .openapi({ description: "Single-wallet reads only: the cached recent transactions, newest first" }),
    funding_transfers: z
      .array(FundingTransferSchema)
      .optional()
      .openapi({ description: "Single-wallet reads only: SOL received (from parsed transactions), newest first" }),
  })
  .openapi("WalletInfo");

export const PartResultSchema = z
  .object({
    status: z.enum(["ok", "failed"]),
    message: z.string().nullable().openapi({ description: "UI-friendly reason when the part failed" }),
    refreshed_at: Iso.nullable().openapi({ description: "Age of this part's cached data after the refresh" }),
  })
  .openapi("RefreshPartResult");

export const PartResultsSchema = z
  .object({ balance: PartResultSchema, holdings: PartResultSchema, funding: PartResultSchema })
  .openapi("RefreshPartResults");

const SOURCES = z.enum(["cache", "solana"]).openapi({
  description: "`cache` for reads (D1 only, no RPC call); `solana` right after a refresh",
});

/** CachedWalletResponse wrapper around any cached payload. */
export const cached = <T extends z.ZodType>(data: T, name: string) =>
  z.object({ data, ...CacheFields, source: SOURCES }).openapi(name);

export const CachedWalletSchema = cached(WalletInfoSchema, "CachedWalletResponse");
export const CachedWalletListSchema = cached(z.array(WalletInfoSchema), "CachedWalletListResponse");

export const RefreshResponseSchema = z
  .object({
    data: WalletInfoSchema,
    ...CacheFields,
    source: SOURCES,
    refresh: PartResultsSchema,
  })
  .openapi("WalletRefreshResponse");

/** 503 body: the error envelope AND the cached data with the per-part failures. */
export const RefreshUnavailableSchema = RefreshResponseSchema.extend(ErrorSchema.shape).openapi(
  "WalletRefreshUnavailable",
);

export const RefreshAllItemSchema = z
  .object({ address: z.string(), status: z.enum(["ok", "partial", "failed"]), parts: PartResultsSchema })
  .openapi("WalletRefreshResult");

export const RefreshRunSchema = z
  .object({
    id: z.string(),
    status: z.enum(["running", "done"]),
    subrequest_budget: z.number().int().openapi({ description: "Subrequests each chunk may make" }),
    wallets_total: z.number().int(),
    wallets_done: z.number().int(),
    ok: z.number().int(),
    partial: z.number().int(),
    failed: z.number().int(),
    chunks: z.number().int(),
    subrequests_total: z.number().int(),
    max_chunk_subrequests: z.number().int(),
    chunk_log: z.array(z.object({ wallets: z.number().int(), subrequests: z.number().int(), at: Iso })),
    started_at: Iso,
    updated_at: Iso,
    finished_at: Iso.nullable(),
  })
  .openapi("RefreshRun");

export const CachedRefreshRunSchema = cached(RefreshRunSchema, "CachedRefreshRun");

export const RefreshRunParam = z.object({
  run_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "run_id", in: "path" }, example: "latest" }),
});

export const RefreshAllResponseSchema = z
  .object({
    data: z.array(WalletInfoSchema),
    ...CacheFields,
    source: SOURCES,
    results: z.array(RefreshAllItemSchema),
    summary: z.object({
      wallets: z.number().int(),
      ok: z.number().int(),
      partial: z.number().int(),
      failed: z.number().int(),
    }),
    run: RefreshRunSchema,
  })
  .openapi("WalletRefreshAllResponse");

export const RefreshAllUnavailableSchema = RefreshAllResponseSchema.extend(ErrorSchema.shape).openapi(
  "WalletRefreshAllUnavailable",
);

export const CreateWalletSchema = z
  .strictObject({
    address: SolanaAddress,
    label: Label.optional(),
    wallet_type: z.enum(WALLET_TYPES).default("launch"),
    notes: Notes.optional(),
  })
  .openapi("CreateWallet");

export const UpdateWalletSchema = z
  .strictObject({
    label: Label.nullable().optional(),
    wallet_type: z.enum(WALLET_TYPES).optional(),
    notes: Notes.nullable().optional(),
    status: z
      .enum(PORTFOLIO_STATUSES)
      .optional()
      .openapi({
        description:
          "ARCHIVED archives the wallet (it stays archived through refreshes and launches). Any other value " +
          "unarchives it and must equal the status its balance and launches give (422 otherwise): " +
          "FUNDED/LAUNCHED/UNFUNDED are never set by hand.",
      }),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update: give label, wallet_type, notes or status" })
  .openapi("UpdateWallet");

export const DeleteWalletQuery = z.object({
  force: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .openapi({
      description: "true: archive a wallet that has launch records or scheduled fundings instead of refusing",
    }),
});

export const ScheduledFundingSchema = z
  .object({
    id: z.string(),
    wallet_address: z.string(),
    amount_sol: z.number(),
    scheduled_for: Iso,
    source_wallet: z.string().nullable(),
    status: z.enum(FUNDING_STATUSES),
    notes: z.string().nullable(),
    amount_lamports: z.string().nullable().openapi({ description: "Lamports actually sent (set when signed)" }),
    tx_signature: z.string().nullable().openapi({ description: "Stored before the send; the transfer's signature" }),
    submitted_at: Iso.nullable(),
    last_checked_at: Iso.nullable().openapi({ description: "Last signature-status lookup of a submitted funding" }),
    failure_reason: z.string().nullable(),
    executed_at: Iso.nullable(),
    cancelled_at: Iso.nullable(),
    created_at: Iso,
    updated_at: Iso,
  })
  .openapi("ScheduledFundingInfo");

export const ScheduleFundingSchema = z
  .strictObject({
    wallet_address: SolanaAddress,
    amount_sol: z.number().positive().max(1_000_000).openapi({ example: 0.5 }),
    scheduled_for: IsoInput.openapi({ description: "Must be in the future (422 otherwise)" }),
    source_wallet: SolanaAddress.optional(),
    notes: Notes.optional(),
  })
  .openapi("ScheduleFunding");

export const FundingListQuery = z.object({
  status: z.enum(FUNDING_STATUSES).optional(),
  wallet_address: SolanaAddress.optional(),
});

export const ScheduleIdParam = z.object({
  schedule_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "schedule_id", in: "path" }, example: "0f8fad5b-d9cb-469f-a165-70867728950e" }),
});

export const LaunchSchema = z
  .object({
    id: z.string(),
    wallet_address: z.string(),
    mint_address: z.string(),
    name: z.string().nullable(),
    ticker: z.string().nullable(),
    platform: z.string().nullable(),
    tx_signature: z.string().nullable(),
    initial_buy_sol: z.number().nullable(),
    notes: z.string().nullable(),
    launched_at: Iso,
    confirmation_status: z
      .string()
      .nullable()
      .openapi({ description: "On-chain status of tx_signature at the last refresh (null = not looked up / unknown)" }),
    chain_error: z.string().nullable().openapi({ description: "The transaction's error when it failed on chain" }),
    chain_checked_at: Iso.nullable(),
    created_at: Iso,
  })
  .openapi("LaunchInfo");

export const RecordLaunchSchema = z
  .strictObject({
    wallet_address: SolanaAddress,
    mint_address: SolanaAddress,
    name: z.string().trim().min(1).max(100).optional(),
    ticker: z.string().trim().min(1).max(20).optional(),
    platform: z.string().trim().min(1).max(50).optional(),
    tx_signature: z
      .string()
      .regex(/^[1-9A-HJ-NP-Za-km-z]{64,90}$/, "not a base58 transaction signature")
      .optional(),
    initial_buy_sol: z.number().nonnegative().max(1_000_000).optional(),
    launched_at: IsoInput.optional().openapi({ description: "Defaults to now; may not be in the future (422)" }),
    notes: Notes.optional(),
  })
  .openapi("RecordLaunch");

export const cachedList = <T extends z.ZodType>(item: T, name: string) => cached(z.array(item), name);
