import { desc, eq, inArray, sql } from "drizzle-orm";
import { cacheStatus, formatUnits, oldest, type RefreshPart } from "../domain/portfolio";
import type { Db } from "./client";
import { fundingTransactions, fundingTransfers, tokenHoldings, tokens, walletInfo } from "./schema";

export type WalletInfoRow = typeof walletInfo.$inferSelect;

export const getWalletRow = (db: Db, address: string) =>
  db.select().from(walletInfo).where(eq(walletInfo.address, address)).get();

export const listWalletRows = (db: Db) =>
  db.select().from(walletInfo).orderBy(walletInfo.created_at, walletInfo.address);

export interface HoldingView {
  mint_address: string;
  name: string | null;
  ticker: string | null;
  balance: string;
  ui_balance: string;
  decimals: number;
  token_program: string;
  updated_at: string;
}

/** Cached holdings of some wallets, with names and tickers from the token metadata cache (null when unknown). */
export async function holdingsOf(db: Db, addresses: readonly string[]): Promise<Map<string, HoldingView[]>> {
  const out = new Map<string, HoldingView[]>(addresses.map((a) => [a, []]));
  for (let i = 0; i < addresses.length; i += 90) {
    const part = addresses.slice(i, i + 90);
    const rows = await db
      .select({
        wallet_address: tokenHoldings.wallet_address,
        mint_address: tokenHoldings.mint_address,
        name: tokens.name,
        ticker: tokens.symbol,
        balance: tokenHoldings.balance,
        decimals: tokenHoldings.decimals,
        token_program: tokenHoldings.token_program,
        updated_at: tokenHoldings.updated_at,
      })
      .from(tokenHoldings)
      .leftJoin(tokens, eq(tokens.mint_address, tokenHoldings.mint_address))
      .where(inArray(tokenHoldings.wallet_address, part))
      .orderBy(tokenHoldings.wallet_address, tokenHoldings.mint_address);
    for (const { wallet_address, ...h } of rows)
      out.get(wallet_address)?.push({ ...h, ui_balance: formatUnits(h.balance, h.decimals) });
  }
  return out;
}

export const recentTransactionsOf = (db: Db, address: string, limit = 20) =>
  db
    .select({
      signature: fundingTransactions.signature,
      slot: fundingTransactions.slot,
      block_time: fundingTransactions.block_time,
      succeeded: fundingTransactions.succeeded,
      memo: fundingTransactions.memo,
      confirmation_status: fundingTransactions.confirmation_status,
    })
    .from(fundingTransactions)
    .where(eq(fundingTransactions.wallet_address, address))
    .orderBy(desc(fundingTransactions.slot))
    .limit(limit);

/** SOL received by the wallet (identified from parsed transactions), newest first. */
export const fundingTransfersOf = (db: Db, address: string, limit = 50) =>
  db
    .select({
      signature: fundingTransfers.signature,
      sender: fundingTransfers.sender,
      amount_sol: fundingTransfers.amount_sol,
      amount_lamports: fundingTransfers.amount_lamports,
      slot: fundingTransfers.slot,
      block_time: fundingTransfers.block_time,
    })
    .from(fundingTransfers)
    .where(eq(fundingTransfers.wallet_address, address))
    .orderBy(desc(fundingTransfers.block_time), fundingTransfers.signature)
    .limit(limit);

/** The part timestamps that make up a wallet's cache age. */
export const partTimes = (row: WalletInfoRow): Record<RefreshPart, string | null> => ({
  balance: row.balance_refreshed_at,
  holdings: row.holdings_refreshed_at,
  funding: row.funding_refreshed_at,
});

export function parseRefreshErrors(text: string | null): Partial<Record<RefreshPart, string>> | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as Partial<Record<RefreshPart, string>>;
  } catch {
    return null;
  }
}

/** A wallet as the API shows it: the cached row, its holdings, and its own cache status. */
export function walletView(row: WalletInfoRow, holdings: HoldingView[], staleSeconds: number, nowMs: number) {
  const times = partTimes(row);
  return {
    address: row.address,
    label: row.label,
    wallet_type: row.wallet_type,
    status: row.status,
    notes: row.notes,
    first_funded_at: row.first_funded_at,
    last_balance_sol: row.last_balance_sol,
    last_balance_lamports: row.last_balance_lamports,
    launch_count: row.launch_count,
    created_at: row.created_at,
    updated_at: row.updated_at,
    balance_refreshed_at: times.balance,
    holdings_refreshed_at: times.holdings,
    funding_refreshed_at: times.funding,
    last_refresh_at: row.last_refresh_at,
    last_refresh_errors: parseRefreshErrors(row.last_refresh_errors),
    ...cacheStatus(oldest(Object.values(times)), staleSeconds, nowMs),
    token_holdings: holdings,
  };
}

export type WalletView = ReturnType<typeof walletView>;

/**
 * Launches of a wallet, counted from the launch records (the source of `launch_count`) whose transaction
 * did not fail on chain (chain_error, set by a refresh's confirmation lookup).
 */
export const launchCountSql = (address: string) =>
  sql<number>`(select count(*) from launches where launches.wallet_address = ${address} and launches.chain_error is null)`;
