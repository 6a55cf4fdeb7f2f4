import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  aggregateHoldings,
  type Holding,
  lamportsToSol,
  type PartOutcome,
  REFRESH_PARTS,
  type RefreshPart,
  solToLamports,
} from "../domain/portfolio";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { UpstreamError } from "../upstream/http";
import {
  getBalanceLamports,
  getBalancesLamports,
  getRecentSignatures,
  getTokenAccounts,
  MAX_ACCOUNTS_PER_CALL,
  type SignatureInfo,
  SPL_CLASSIC_PROGRAM,
  TOKEN_2022_PROGRAM,
} from "../upstream/solana-rpc";
import type { Db } from "./client";
import { firstFundedAtSql, statusAfterBalanceSql } from "./portfolio-status";
import { partTimes, type WalletInfoRow } from "./portfolio-store";
import { fundingTransactions, tokenHoldings, walletInfo } from "./schema";
import { ensureTokenMetadata } from "./token-metadata";

type RpcEnv = { SOLANA_RPC_URL?: string; DEXSCREENER_API_URL?: string; UPSTREAM_TIMEOUT_MS?: string };

/** How many recent transactions the "funding" part keeps per refresh (getSignaturesForAddress limit). */
export const RECENT_SIGNATURES_LIMIT = 25;
/** Wallets refreshed at once by refresh-all (each runs up to 3 RPC calls in parallel). */
const REFRESH_ALL_CONCURRENCY = 4;

export interface PartResult {
  status: "ok" | "failed";
  /** UI-friendly reason when failed; null when ok. */
  message: string | null;
  /** When the cached data of this part was fetched: now when ok, the previous time when failed. */
  refreshed_at: string | null;
}
export type PartResults = Record<RefreshPart, PartResult>;

type Fetched<T> = { ok: true; value: T } | { ok: false; message: string };

/** A short message an operator can act on; never the upstream body. */
export function partFailureMessage(part: RefreshPart, err: unknown): string {
  const what = { balance: "SOL balance", holdings: "token holdings", funding: "recent transactions" }[part];
  if (err instanceof UpstreamError) {
    if (err.kind === "timeout")
      return `Could not refresh ${what}: the Solana RPC did not answer in time. Cached data kept.`;
    if (err.status === 429)
      return `Could not refresh ${what}: the Solana RPC is rate limiting. Try again shortly. Cached data kept.`;
    if (err.kind === "malformed")
      return `Could not refresh ${what}: the Solana RPC sent an unreadable answer. Cached data kept.`;
    if (err.kind === "http" && err.status && err.status >= 500)
      return `Could not refresh ${what}: the Solana RPC is failing (HTTP ${err.status}). Cached data kept.`;
    if (err.kind === "network" && /not configured/.test(err.message))
      return `Could not refresh ${what}: SOLANA_RPC_URL is not configured. Cached data kept.`;
    return `Could not refresh ${what}: the Solana RPC refused the request (${err.message.replace(/^solana-rpc: /, "")}). Cached data kept.`;
  }
  return `Could not refresh ${what}: unexpected error. Cached data kept.`;
}

const settle = async <T>(part: RefreshPart, address: string, p: Promise<T>): Promise<Fetched<T>> => {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    log.warn("portfolio_part_refresh_failed", {
      part,
      wallet: address,
      error: err instanceof Error ? err.message : "unknown",
    });
    return { ok: false, message: partFailureMessage(part, err) };
  }
};

/** Both token programs: Token-2022 accounts are never listed under Tokenkeg. All or nothing. */
const fetchHoldings = async (env: RpcEnv, address: string): Promise<Holding[]> => {
  const [classic, t22] = await Promise.all([
    getTokenAccounts(env, address, SPL_CLASSIC_PROGRAM),
    getTokenAccounts(env, address, TOKEN_2022_PROGRAM),
  ]);
  return aggregateHoldings([...classic, ...t22]);
};

interface WalletFetch {
  balance: Fetched<bigint>;
  holdings: Fetched<Holding[]>;
  funding: Fetched<SignatureInfo[]>;
}

/**
 * Statements that store what was fetched, one part at a time: a part that failed writes nothing of
 * its own (its cached rows and timestamp stay exactly as they were). Run in one db.batch (atomic).
 */
function writeStatements(
  db: Db,
  row: WalletInfoRow,
  f: WalletFetch,
  fundedThresholdSol: number,
  now: string,
): BatchItem<"sqlite">[] {
  const address = row.address;
  const stmts: BatchItem<"sqlite">[] = [];
  const errors: Partial<Record<RefreshPart, string>> = {};
  const set: Partial<typeof walletInfo.$inferInsert> = { last_refresh_at: now, updated_at: now };

  if (f.balance.ok) {
    const lamports = f.balance.value;
    const funded = lamports >= solToLamports(fundedThresholdSol);
    // Status and first_funded_at from the row as it is when written (an archive may have landed since
    // `row` was read): the SQL form of nextStatus, see portfolio-status.ts.
    Object.assign(set, {
      last_balance_lamports: lamports.toString(),
      last_balance_sol: lamportsToSol(lamports),
      balance_refreshed_at: now,
      status: statusAfterBalanceSql(funded),
      first_funded_at: firstFundedAtSql(funded, now),
    });
  } else errors.balance = f.balance.message;

  if (f.holdings.ok) {
    // Replace the wallet's holdings whole: a token sold since the last refresh must disappear.
    stmts.push(db.delete(tokenHoldings).where(eq(tokenHoldings.wallet_address, address)));
    const rows = f.holdings.value.map((h) => ({ wallet_address: address, ...h, updated_at: now }));
    for (let i = 0; i < rows.length; i += 15) stmts.push(db.insert(tokenHoldings).values(rows.slice(i, i + 15)));
    set.holdings_refreshed_at = now;
  } else errors.holdings = f.holdings.message;

  if (f.funding.ok) {
    const rows = f.funding.value.map((s) => ({
      signature: s.signature,
      wallet_address: address,
      slot: s.slot,
      block_time: s.block_time == null ? null : nowIso(s.block_time * 1000),
      succeeded: s.succeeded,
      memo: s.memo,
      confirmation_status: s.confirmation_status,
    }));
    for (let i = 0; i < rows.length; i += 12)
      stmts.push(
        db
          .insert(fundingTransactions)
          .values(rows.slice(i, i + 12))
          .onConflictDoUpdate({
            target: [fundingTransactions.wallet_address, fundingTransactions.signature],
            set: { confirmation_status: sql`excluded.confirmation_status`, succeeded: sql`excluded.succeeded` },
          }),
      );
    set.funding_refreshed_at = now;
  } else errors.funding = f.funding.message;

  set.last_refresh_errors = Object.keys(errors).length ? JSON.stringify(errors) : null;
  stmts.push(db.update(walletInfo).set(set).where(eq(walletInfo.address, address)));
  return stmts;
}

function partResults(row: WalletInfoRow, f: WalletFetch, now: string): PartResults {
  const before = partTimes(row);
  const one = (part: RefreshPart, x: Fetched<unknown>): PartResult =>
    x.ok
      ? { status: "ok", message: null, refreshed_at: now }
      : { status: "failed", message: x.message, refreshed_at: before[part] };
  return {
    balance: one("balance", f.balance),
    holdings: one("holdings", f.holdings),
    funding: one("funding", f.funding),
  };
}

export const outcomesOf = (r: PartResults): PartOutcome[] =>
  REFRESH_PARTS.map((p) =>
    r[p].status === "ok"
      ? { status: "ok", refreshed_at: r[p].refreshed_at ?? "" }
      : { status: "failed", message: r[p].message ?? "" },
  );

async function store(db: Db, row: WalletInfoRow, f: WalletFetch, thresholdSol: number, now: string) {
  const [first, ...rest] = writeStatements(db, row, f, thresholdSol, now);
  if (first) await db.batch([first, ...rest]);
}

const holdingMints = (f: WalletFetch) =>
  f.holdings.ok
    ? f.holdings.value.map((h) => ({ mint: h.mint_address, decimals: h.decimals, token_program: h.token_program }))
    : [];

export interface RefreshOptions {
  fundedThresholdSol: number;
  metadataRetrySeconds: number;
}

/** One wallet: three independent parts (balance, both token programs, recent transactions). */
export async function refreshWallet(env: RpcEnv, db: Db, row: WalletInfoRow, opts: RefreshOptions) {
  const address = row.address;
  const [balance, holdings, funding] = await Promise.all([
    settle("balance", address, getBalanceLamports(env, address)),
    settle("holdings", address, fetchHoldings(env, address)),
    settle("funding", address, getRecentSignatures(env, address, RECENT_SIGNATURES_LIMIT)),
  ]);
  const f = { balance, holdings, funding };
  const now = nowIso();
  await store(db, row, f, opts.fundedThresholdSol, now);
  await ensureTokenMetadata(env, db, holdingMints(f), opts.metadataRetrySeconds);
  return partResults(row, f, now);
}

/**
 * Every wallet. Balances are read with getMultipleAccounts (⌈n/100⌉ calls); holdings need two
 * getTokenAccountsByOwner calls per wallet and recent transactions one getSignaturesForAddress per
 * wallet (the RPC has no multi-owner form of either); token names come in one getAssetBatch for all
 * new mints. So n wallets cost ⌈n/100⌉ + 3n calls, plus one when some mint lacks a name.
 */
export async function refreshAllWallets(env: RpcEnv, db: Db, rows: readonly WalletInfoRow[], opts: RefreshOptions) {
  const balances = new Map<string, Fetched<bigint>>();
  for (let i = 0; i < rows.length; i += MAX_ACCOUNTS_PER_CALL) {
    const chunk = rows.slice(i, i + MAX_ACCOUNTS_PER_CALL).map((r) => r.address);
    const got = await settle("balance", `${chunk.length} wallets`, getBalancesLamports(env, chunk));
    for (const a of chunk) {
      const v = got.ok ? got.value.get(a) : undefined;
      balances.set(a, got.ok ? { ok: true, value: v ?? 0n } : got);
    }
  }

  const fetched = new Map<string, WalletFetch>();
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++] as WalletInfoRow;
      const [holdings, funding] = await Promise.all([
        settle("holdings", row.address, fetchHoldings(env, row.address)),
        settle("funding", row.address, getRecentSignatures(env, row.address, RECENT_SIGNATURES_LIMIT)),
      ]);
      fetched.set(row.address, {
        balance: balances.get(row.address) ?? { ok: false, message: partFailureMessage("balance", null) },
        holdings,
        funding,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(REFRESH_ALL_CONCURRENCY, rows.length) }, worker));

  const now = nowIso();
  const results = rows.map((row) => ({
    address: row.address,
    parts: partResults(row, fetched.get(row.address) as WalletFetch, now),
  }));
  // Several batches keep each D1 request small; each wallet's statements stay inside one batch.
  let batch: BatchItem<"sqlite">[] = [];
  const flush = async () => {
    const [first, ...rest] = batch;
    if (first) await db.batch([first, ...rest]);
    batch = [];
  };
  for (const row of rows) {
    const f = fetched.get(row.address) as WalletFetch;
    const stmts = writeStatements(db, row, f, opts.fundedThresholdSol, now);
    if (batch.length + stmts.length > 200) await flush();
    batch.push(...stmts);
  }
  await flush();
  await ensureTokenMetadata(
    env,
    db,
    [...fetched.values()].flatMap((f) => holdingMints(f)),
    opts.metadataRetrySeconds,
  );
  return results;
}
