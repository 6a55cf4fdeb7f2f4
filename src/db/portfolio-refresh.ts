import { and, eq, inArray, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { z } from "zod";
import { type FundingTransfer, fundingTransfersOf } from "../domain/funding-transfers";
import { type HeliusTx, HeliusTxSchema } from "../domain/helius-tx";
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
import { SubrequestBudget } from "../lib/subrequest-budget";
import { nowIso } from "../lib/time";
import { HELIUS_MAX_PARSE, parseTransactions } from "../upstream/helius";
import { UpstreamError } from "../upstream/http";
import {
  getBalanceLamports,
  getRecentSignatures,
  getTokenAccounts,
  MAX_ACCOUNTS_PER_CALL,
  type SignatureInfo,
  SignaturesSchema,
  SPL_CLASSIC_PROGRAM,
  signaturesFrom,
  TOKEN_2022_PROGRAM,
  TokenAccountsSchema,
  tokenAccountsFrom,
  u64,
} from "../upstream/solana-rpc";
import { batchRequests, type RpcCallSpec, type RpcOutcome, rpcBatch } from "../upstream/solana-rpc-batch";
import {
  type SignatureStatus,
  SignatureStatusesSchema,
  signatureStatuses,
  toSignatureStatus,
} from "../upstream/solana-transactions";
import type { Db } from "./client";
import { firstFundedAtSql, statusAfterBalanceSql } from "./portfolio-status";
import { launchCountSql, partTimes, type WalletInfoRow } from "./portfolio-store";
import { fundingTransactions, fundingTransfers, launches, tokenHoldings, walletInfo } from "./schema";
import { ensureTokenMetadata } from "./token-metadata";

export type RpcEnv = {
  SOLANA_RPC_URL?: string;
  DEXSCREENER_API_URL?: string;
  HELIUS_API_URL: string;
  HELIUS_API_KEY?: string;
  UPSTREAM_TIMEOUT_MS?: string;
};

/** How many recent transactions the "funding" part keeps per refresh (getSignaturesForAddress limit). */
export const RECENT_SIGNATURES_LIMIT = 25;
/** Signatures parsed per wallet per refresh (older unparsed ones follow on later refreshes). */
export const PARSE_PER_WALLET = 25;
/** Launch signatures whose confirmation one refresh looks up (one getSignatureStatuses call). */
const LAUNCH_STATUSES_PER_REFRESH = 256;
/** Subrequests kept for token names (one DAS getAssetBatch, up to two DexScreener calls). */
export const METADATA_RESERVE = 3;
/** Mints named per chunk, so the metadata lookup stays inside METADATA_RESERVE. */
const METADATA_MINTS_PER_CHUNK = 60;

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
  if (err instanceof UpstreamError && err.service === "helius")
    return `Could not identify the funding transfers among the ${what}: the Helius parse API ${
      err.kind === "timeout" ? "did not answer in time" : err.status ? `answered HTTP ${err.status}` : "is unreachable"
    }. Cached data kept.`;
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

/** JSON of an RPC error object; kit parses its integers as bigints, which JSON.stringify refuses. */
const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

/** Both token programs: Token-2022 accounts are never listed under Tokenkeg. All or nothing. */
const fetchHoldings = async (env: RpcEnv, address: string): Promise<Holding[]> => {
  const [classic, t22] = await Promise.all([
    getTokenAccounts(env, address, SPL_CLASSIC_PROGRAM),
    getTokenAccounts(env, address, TOKEN_2022_PROGRAM),
  ]);
  return aggregateHoldings([...classic, ...t22]);
};

interface FundingFetch {
  signatures: SignatureInfo[];
  transfers: FundingTransfer[];
  /** Signatures looked at for transfers (stored with transfers_parsed = 1). */
  parsed: Set<string>;
}

interface WalletFetch {
  balance: Fetched<bigint>;
  holdings: Fetched<Holding[]>;
  funding: Fetched<FundingFetch>;
}

type LaunchStatuses = Map<string, SignatureStatus | null>;

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
  launchStatuses: LaunchStatuses | null,
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
    const { signatures, transfers, parsed } = f.funding.value;
    const fresh = new Set(signatures.map((s) => s.signature));
    const rows = signatures.map((s) => ({
      signature: s.signature,
      wallet_address: address,
      slot: s.slot,
      block_time: s.block_time == null ? null : nowIso(s.block_time * 1000),
      succeeded: s.succeeded,
      memo: s.memo,
      confirmation_status: s.confirmation_status,
      // A failed transaction moved no SOL: nothing to parse.
      transfers_parsed: parsed.has(s.signature) || !s.succeeded,
    }));
    for (let i = 0; i < rows.length; i += 10)
      stmts.push(
        db
          .insert(fundingTransactions)
          .values(rows.slice(i, i + 10))
          .onConflictDoUpdate({
            target: [fundingTransactions.wallet_address, fundingTransactions.signature],
            set: {
              confirmation_status: sql`excluded.confirmation_status`,
              succeeded: sql`excluded.succeeded`,
              transfers_parsed: sql`max(${fundingTransactions.transfers_parsed}, excluded.transfers_parsed)`,
            },
          }),
      );
    // Older signatures parsed now (they were stored before their transfers were identified).
    const older = [...parsed].filter((sig) => !fresh.has(sig));
    for (let i = 0; i < older.length; i += 90)
      stmts.push(
        db
          .update(fundingTransactions)
          .set({ transfers_parsed: true })
          .where(
            and(
              eq(fundingTransactions.wallet_address, address),
              inArray(fundingTransactions.signature, older.slice(i, i + 90)),
            ),
          ),
      );
    const transferRows = transfers.map((t) => ({
      wallet_address: address,
      signature: t.signature,
      sender: t.sender,
      amount_lamports: t.lamports.toString(),
      amount_sol: lamportsToSol(t.lamports),
      slot: t.slot,
      block_time: nowIso(t.timestamp * 1000),
    }));
    // (wallet, signature, sender) is the key: a transaction parsed twice never counts twice.
    for (let i = 0; i < transferRows.length; i += 10)
      stmts.push(
        db
          .insert(fundingTransfers)
          .values(transferRows.slice(i, i + 10))
          .onConflictDoNothing(),
      );
    set.funding_refreshed_at = now;
  } else errors.funding = f.funding.message;

  if (launchStatuses)
    for (const [sig, st] of launchStatuses)
      stmts.push(
        db
          .update(launches)
          .set({
            // Unknown to the cluster (null) keeps what was known; a status never moves backwards.
            confirmation_status: st
              ? sql`coalesce(${st.confirmation_status}, ${launches.confirmation_status})`
              : sql`${launches.confirmation_status}`,
            chain_error: st?.err != null ? jsonText(st.err) : sql`${launches.chain_error}`,
            chain_checked_at: now,
          })
          .where(and(eq(launches.wallet_address, address), eq(launches.tx_signature, sig))),
      );
  // launch_count from the records whose transaction did not fail on chain.
  (set as Record<string, unknown>).launch_count = launchCountSql(address);

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

const holdingMints = (f: WalletFetch) =>
  f.holdings.ok
    ? f.holdings.value.map((h) => ({ mint: h.mint_address, decimals: h.decimals, token_program: h.token_program }))
    : [];

export interface RefreshOptions {
  fundedThresholdSol: number;
  metadataRetrySeconds: number;
}

type SigFetch = Fetched<SignatureInfo[]>;

/**
 * Funding transfers of each wallet: the successful signatures not yet looked at (this refresh's and older
 * unparsed ones, newest first, at most PARSE_PER_WALLET per wallet), parsed by Helius in batches of 100
 * (one transaction shared by two portfolio wallets is parsed once). A wallet whose batch failed gets a
 * failed funding part: its signatures are stored next time, with their transfers.
 */
async function identifyTransfers(
  env: RpcEnv,
  db: Db,
  sigs: Map<string, SigFetch>,
  budget: SubrequestBudget,
): Promise<Map<string, Fetched<FundingFetch>>> {
  const out = new Map<string, Fetched<FundingFetch>>();
  const wallets = [...sigs.keys()].filter((a) => sigs.get(a)?.ok);
  const known = new Map<string, Map<string, { parsed: boolean; succeeded: boolean; slot: number }>>();
  for (let i = 0; i < wallets.length; i += 90) {
    const rows = await db
      .select({
        wallet_address: fundingTransactions.wallet_address,
        signature: fundingTransactions.signature,
        parsed: fundingTransactions.transfers_parsed,
        succeeded: fundingTransactions.succeeded,
        slot: fundingTransactions.slot,
      })
      .from(fundingTransactions)
      .where(inArray(fundingTransactions.wallet_address, wallets.slice(i, i + 90)));
    for (const r of rows) {
      const m = known.get(r.wallet_address) ?? new Map();
      m.set(r.signature, r);
      known.set(r.wallet_address, m);
    }
  }
  const candidates = new Map<string, string[]>();
  for (const a of wallets) {
    const got = sigs.get(a) as { ok: true; value: SignatureInfo[] };
    const k = known.get(a) ?? new Map();
    const list = new Map<string, number>();
    for (const s of got.value) if (s.succeeded && !k.get(s.signature)?.parsed) list.set(s.signature, s.slot);
    for (const [sig, r] of k) if (!r.parsed && r.succeeded && !list.has(sig)) list.set(sig, r.slot);
    candidates.set(
      a,
      [...list]
        .sort((x, y) => y[1] - x[1])
        .slice(0, PARSE_PER_WALLET)
        .map(([sig]) => sig),
    );
  }
  const all = [...new Set([...candidates.values()].flat())];
  const parsedTx = new Map<string, HeliusTx>();
  const failedSigs = new Map<string, string>();
  for (let i = 0; i < all.length; i += HELIUS_MAX_PARSE) {
    const batch = all.slice(i, i + HELIUS_MAX_PARSE);
    try {
      budget.take("parse transactions");
      for (const raw of await parseTransactions(env, batch)) {
        const tx = HeliusTxSchema.safeParse(raw);
        if (tx.success) parsedTx.set(tx.data.signature, tx.data);
      }
    } catch (err) {
      log.warn("portfolio_transfers_parse_failed", {
        signatures: batch.length,
        error: err instanceof Error ? err.message : "unknown",
      });
      const message = partFailureMessage("funding", err);
      for (const sig of batch) failedSigs.set(sig, message);
    }
  }
  for (const [a, got] of sigs) {
    if (!got.ok) {
      out.set(a, got);
      continue;
    }
    const mine = candidates.get(a) ?? [];
    const failed = mine.find((sig) => failedSigs.has(sig));
    if (failed) {
      out.set(a, { ok: false, message: failedSigs.get(failed) as string });
      continue;
    }
    const parsed = new Set<string>();
    const transfers: FundingTransfer[] = [];
    // A signature Helius did not return (not indexed yet) stays unparsed and is tried again next time.
    for (const sig of mine) {
      const tx = parsedTx.get(sig);
      if (!tx) continue;
      parsed.add(sig);
      transfers.push(...fundingTransfersOf(tx, a));
    }
    out.set(a, { ok: true, value: { signatures: got.value, transfers, parsed } });
  }
  return out;
}

/** Launch signatures of these wallets whose confirmation may still change (not finalized, not failed). */
async function openLaunchSignatures(db: Db, wallets: readonly string[]) {
  const out: { wallet: string; sig: string }[] = [];
  for (let i = 0; i < wallets.length && out.length < LAUNCH_STATUSES_PER_REFRESH; i += 90) {
    const rows = await db
      .select({ wallet: launches.wallet_address, sig: launches.tx_signature })
      .from(launches)
      .where(
        and(
          inArray(launches.wallet_address, wallets.slice(i, i + 90)),
          isNotNull(launches.tx_signature),
          isNull(launches.chain_error),
          or(isNull(launches.confirmation_status), ne(launches.confirmation_status, "finalized")),
        ),
      )
      .limit(LAUNCH_STATUSES_PER_REFRESH - out.length);
    for (const r of rows) out.push({ wallet: r.wallet, sig: r.sig as string });
  }
  return out;
}

const groupLaunches = (
  open: { wallet: string; sig: string }[],
  statuses: (SignatureStatus | null)[] | null,
): Map<string, LaunchStatuses> => {
  const by = new Map<string, LaunchStatuses>();
  if (!statuses) return by;
  for (const [i, l] of open.entries()) {
    const m = by.get(l.wallet) ?? new Map();
    m.set(l.sig, statuses[i] ?? null);
    by.set(l.wallet, m);
  }
  return by;
};

/** One wallet: three independent parts (balance, both token programs, recent transactions + transfers). */
export async function refreshWallet(env: RpcEnv, db: Db, row: WalletInfoRow, opts: RefreshOptions) {
  const address = row.address;
  const budget = new SubrequestBudget(Number.MAX_SAFE_INTEGER);
  const [balance, holdings, sigs, open] = await Promise.all([
    settle("balance", address, getBalanceLamports(env, address)),
    settle("holdings", address, fetchHoldings(env, address)),
    settle("funding", address, getRecentSignatures(env, address, RECENT_SIGNATURES_LIMIT)),
    openLaunchSignatures(db, [address]),
  ]);
  const funding = (await identifyTransfers(env, db, new Map([[address, sigs]]), budget)).get(
    address,
  ) as Fetched<FundingFetch>;
  let statuses: (SignatureStatus | null)[] | null = null;
  if (open.length)
    statuses = await signatureStatuses(
      env,
      open.map((l) => l.sig),
    ).catch((err) => {
      log.warn("portfolio_launch_status_failed", {
        wallet: address,
        error: err instanceof Error ? err.message : "unknown",
      });
      return null;
    });
  const f = { balance, holdings, funding };
  const now = nowIso();
  const [first, ...rest] = writeStatements(
    db,
    row,
    f,
    opts.fundedThresholdSol,
    now,
    groupLaunches(open, statuses).get(address) ?? null,
  );
  if (first) await db.batch([first, ...rest]);
  await ensureTokenMetadata(env, db, holdingMints(f), opts.metadataRetrySeconds);
  return partResults(row, f, now);
}

/** Worst-case subrequests of refreshing `k` wallets in one chunk (see refreshChunk). */
export function chunkCost(k: number): number {
  const balanceCalls = Math.ceil(k / MAX_ACCOUNTS_PER_CALL);
  const rpcCalls = balanceCalls + 3 * k + 1; // + one getSignatureStatuses for launches
  return batchRequests(rpcCalls) + Math.ceil((PARSE_PER_WALLET * k) / HELIUS_MAX_PARSE) + METADATA_RESERVE;
}

/** The most wallets one invocation can refresh inside `budget` subrequests (at least 1). */
export function walletsPerChunk(budget: number): number {
  let k = 1;
  while (chunkCost(k + 1) <= budget) k++;
  return k;
}

/**
 * A chunk of wallets inside a subrequest budget: every RPC call in JSON-RPC batches (balances with
 * getMultipleAccounts, both token programs and the recent signatures per wallet, launch confirmations),
 * then the new signatures parsed by Helius, then token names. Returns per-wallet part results.
 */
export async function refreshChunk(
  env: RpcEnv,
  db: Db,
  rows: readonly WalletInfoRow[],
  opts: RefreshOptions,
  budget: SubrequestBudget,
) {
  const addresses = rows.map((r) => r.address);
  const open = await openLaunchSignatures(db, addresses);
  const calls: RpcCallSpec[] = [];
  const balanceChunks: string[][] = [];
  for (let i = 0; i < addresses.length; i += MAX_ACCOUNTS_PER_CALL) {
    const chunk = addresses.slice(i, i + MAX_ACCOUNTS_PER_CALL);
    balanceChunks.push(chunk);
    calls.push({
      method: "getMultipleAccounts",
      params: [chunk, { encoding: "base64", dataSlice: { offset: 0, length: 0 } }],
    });
  }
  const perWallet = calls.length;
  for (const a of addresses)
    calls.push(
      {
        method: "getTokenAccountsByOwner",
        params: [a, { programId: SPL_CLASSIC_PROGRAM }, { encoding: "jsonParsed" }],
      },
      { method: "getTokenAccountsByOwner", params: [a, { programId: TOKEN_2022_PROGRAM }, { encoding: "jsonParsed" }] },
      { method: "getSignaturesForAddress", params: [a, { limit: RECENT_SIGNATURES_LIMIT }] },
    );
  const launchCall = calls.length;
  if (open.length)
    calls.push({
      method: "getSignatureStatuses",
      params: [open.map((l) => l.sig), { searchTransactionHistory: true }],
    });
  const results = await rpcBatch(env, calls, budget);

  const parse = <S extends z.ZodType>(
    part: RefreshPart,
    who: string,
    r: RpcOutcome | undefined,
    schema: S,
  ): Fetched<z.infer<S>> => {
    if (!r) return { ok: false, message: partFailureMessage(part, null) };
    if (!r.ok) {
      log.warn("portfolio_part_refresh_failed", { part, wallet: who, error: r.error.message });
      return { ok: false, message: partFailureMessage(part, r.error) };
    }
    const p = schema.safeParse(r.result);
    if (!p.success) {
      const err = new UpstreamError("solana-rpc", "malformed", `${part}: unexpected result shape`);
      return { ok: false, message: partFailureMessage(part, err) };
    }
    return { ok: true, value: p.data };
  };

  const balances = new Map<string, Fetched<bigint>>();
  const BalSchema = z.object({ value: z.array(z.object({ lamports: u64 }).nullable()) });
  for (const [j, chunk] of balanceChunks.entries()) {
    const got = parse("balance", `${chunk.length} wallets`, results[j], BalSchema);
    for (const [i, a] of chunk.entries()) {
      if (!got.ok) balances.set(a, got);
      else if (got.value.value.length !== chunk.length)
        balances.set(a, {
          ok: false,
          message: partFailureMessage("balance", new UpstreamError("solana-rpc", "malformed", "length")),
        });
      else balances.set(a, { ok: true, value: got.value.value[i]?.lamports ?? 0n });
    }
  }
  const holdings = new Map<string, Fetched<Holding[]>>();
  const sigs = new Map<string, SigFetch>();
  for (const [i, a] of addresses.entries()) {
    const base = perWallet + 3 * i;
    const classic = parse("holdings", a, results[base], TokenAccountsSchema);
    const t22 = parse("holdings", a, results[base + 1], TokenAccountsSchema);
    holdings.set(
      a,
      !classic.ok
        ? classic
        : !t22.ok
          ? t22
          : {
              ok: true,
              value: aggregateHoldings([
                ...tokenAccountsFrom(classic.value, SPL_CLASSIC_PROGRAM),
                ...tokenAccountsFrom(t22.value, TOKEN_2022_PROGRAM),
              ]),
            },
    );
    const s = parse("funding", a, results[base + 2], SignaturesSchema);
    sigs.set(a, s.ok ? { ok: true, value: signaturesFrom(s.value) } : s);
  }
  let launchStatuses: (SignatureStatus | null)[] | null = null;
  if (open.length) {
    const r = results[launchCall];
    const st = parse("funding", "launches", r, SignatureStatusesSchema);
    launchStatuses = st.ok ? st.value.value.map(toSignatureStatus) : null;
  }
  const funding = await identifyTransfers(env, db, sigs, budget);
  const byWallet = groupLaunches(open, launchStatuses);

  const now = nowIso();
  const fetched = new Map<string, WalletFetch>();
  for (const a of addresses)
    fetched.set(a, {
      balance: balances.get(a) as Fetched<bigint>,
      holdings: holdings.get(a) as Fetched<Holding[]>,
      funding: funding.get(a) as Fetched<FundingFetch>,
    });
  // Several batches keep each D1 request small; each wallet's statements stay inside one batch.
  let batch: BatchItem<"sqlite">[] = [];
  const flush = async () => {
    const [first, ...rest] = batch;
    if (first) await db.batch([first, ...rest]);
    batch = [];
  };
  for (const row of rows) {
    const stmts = writeStatements(
      db,
      row,
      fetched.get(row.address) as WalletFetch,
      opts.fundedThresholdSol,
      now,
      byWallet.get(row.address) ?? null,
    );
    if (batch.length + stmts.length > 200) await flush();
    batch.push(...stmts);
  }
  await flush();
  // Token names: best effort inside the reserve (a mint left unnamed is named by a later refresh).
  if (budget.left >= METADATA_RESERVE) {
    const mints = [...new Map([...fetched.values()].flatMap(holdingMints).map((m) => [m.mint, m])).values()];
    await ensureTokenMetadata(env, db, mints.slice(0, METADATA_MINTS_PER_CHUNK), opts.metadataRetrySeconds, (n) => {
      budget.used += n;
    });
  }
  return rows.map((row) => ({
    address: row.address,
    parts: partResults(row, fetched.get(row.address) as WalletFetch, now),
  }));
}
