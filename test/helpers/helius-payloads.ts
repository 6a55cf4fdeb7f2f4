/**
 * Builds Helius enhanced transactions in the shape of the real captured PumpSwap delivery
 * (../shared/fixtures/helius-webhook-enhanced-swap-pumpamm.captured.json): SOL legs as WSOL token
 * transfers plus the native wrap/unwrap, fee transfers to third parties, `events: {}`.
 * Used by tests, `npm run bench` and `npm run demo`.
 */
import { b58 } from "./helius";

export const WSOL = "So11111111111111111111111111111111111111112";
export const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const POOL = "DmyGpMBR5bVLVViypBXAPX5D5FW6GaVzMWEx7sF8i6rT";
const POOL_WSOL_ACCOUNT = "J9ETcDLLwcFtQBaRcnAo4EKfnW4WEVNPXYPHmFTrHCmb";
const FEE_COLLECTOR = "9yMwSPk9mrXSN7yDHUuZurAh1sjbJsfpUqjZ7SvVtdco";

export interface SwapSpec {
  signature: string;
  wallet: string;
  mint: string;
  side: "buy" | "sell";
  /** Quote amount in whole units (SOL, or USDC when quote = "usdc"). */
  quote_amount: number;
  /** Token amount in whole tokens. */
  token_amount: number;
  decimals?: number;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  quote?: "wsol" | "native" | "usdc";
  /** Extra protocol fee paid by the wallet, lamports (a fee transfer, not part of the trade). */
  fee_transfer_lamports?: number;
  /**
   * Token balance of the wallet in this mint after the trade, whole tokens (for mirror fractions). Enhanced
   * payloads carry balance changes, not balances: only 0 on a sell shows, as the wallet's token account closed
   * in the same transaction (its rent returned to the wallet).
   */
  token_balance_after?: number;
  /** Slot; defaults to a fixed real one. */
  slot?: number;
  type?: string;
  source?: string;
}

/** Rent-exempt lamports of a 165-byte SPL token account, returned to the owner when the account is closed. */
const TOKEN_ACCOUNT_RENT = 2_039_280;

const raw = (ui: number, decimals: number) => BigInt(Math.round(ui * 10 ** decimals)).toString();

export function buildSwapTx(s: SwapSpec) {
  const decimals = s.decimals ?? 6;
  const quote = s.quote ?? "wsol";
  const lamports = Math.round(s.quote_amount * 1e9);
  const fee = s.fee_transfer_lamports ?? 0;
  const buy = s.side === "buy";
  const walletTokenAccount = `${s.wallet.slice(0, 20)}TokAcct`;
  const poolTokenAccount = "98FTLD2zwYrmGYfCnGYEBeMaY7mShE9TpeV9zjaFEb3c";
  const tokenLeg = {
    fromTokenAccount: buy ? poolTokenAccount : walletTokenAccount,
    fromUserAccount: buy ? POOL : s.wallet,
    mint: s.mint,
    toTokenAccount: buy ? walletTokenAccount : poolTokenAccount,
    toUserAccount: buy ? s.wallet : POOL,
    tokenAmount: s.token_amount,
    tokenStandard: "Fungible",
  };
  const tokenTransfers: Record<string, unknown>[] = [tokenLeg];
  const nativeTransfers: Record<string, unknown>[] = [];
  if (quote === "wsol") {
    tokenTransfers.push({
      fromTokenAccount: buy ? `${s.wallet.slice(0, 20)}WsolAcct` : POOL_WSOL_ACCOUNT,
      fromUserAccount: buy ? s.wallet : POOL,
      mint: WSOL,
      toTokenAccount: buy ? POOL_WSOL_ACCOUNT : `${s.wallet.slice(0, 20)}WsolAcct`,
      toUserAccount: buy ? POOL : s.wallet,
      tokenAmount: s.quote_amount,
      tokenStandard: "Fungible",
    });
    // the wrap (buy) or unwrap (sell) of the same SOL: one leg, seen twice
    nativeTransfers.push(
      buy
        ? { amount: lamports, fromUserAccount: s.wallet, toUserAccount: `${s.wallet.slice(0, 20)}WsolAcct` }
        : { amount: lamports, fromUserAccount: `${s.wallet.slice(0, 20)}WsolAcct`, toUserAccount: s.wallet },
    );
  } else if (quote === "native") {
    nativeTransfers.push({
      amount: lamports,
      fromUserAccount: buy ? s.wallet : POOL,
      toUserAccount: buy ? POOL : s.wallet,
    });
  } else {
    tokenTransfers.push({
      fromTokenAccount: buy ? `${s.wallet.slice(0, 20)}UsdcAcct` : "PoolUsdcAccount1111111111111111111111111111",
      fromUserAccount: buy ? s.wallet : POOL,
      mint: USDC,
      toTokenAccount: buy ? "PoolUsdcAccount1111111111111111111111111111" : `${s.wallet.slice(0, 20)}UsdcAcct`,
      toUserAccount: buy ? POOL : s.wallet,
      tokenAmount: s.quote_amount,
      tokenStandard: "Fungible",
    });
  }
  if (fee > 0) nativeTransfers.push({ amount: fee, fromUserAccount: s.wallet, toUserAccount: FEE_COLLECTOR });
  const tokenDelta = buy ? raw(s.token_amount, decimals) : `-${raw(s.token_amount, decimals)}`;
  const solDelta = quote === "usdc" ? 0 : buy ? -lamports : lamports;
  const closed = !buy && s.token_balance_after === 0 ? TOKEN_ACCOUNT_RENT : 0;
  return {
    accountData: [
      { account: s.wallet, nativeBalanceChange: solDelta - fee - 5000 + closed, tokenBalanceChanges: [] },
      {
        account: walletTokenAccount,
        nativeBalanceChange: -closed,
        tokenBalanceChanges: [
          {
            mint: s.mint,
            rawTokenAmount: { decimals, tokenAmount: tokenDelta },
            tokenAccount: walletTokenAccount,
            userAccount: s.wallet,
          },
        ],
      },
      {
        account: poolTokenAccount,
        nativeBalanceChange: 0,
        tokenBalanceChanges: [
          {
            mint: s.mint,
            rawTokenAmount: {
              decimals,
              tokenAmount: buy ? `-${raw(s.token_amount, decimals)}` : raw(s.token_amount, decimals),
            },
            tokenAccount: poolTokenAccount,
            userAccount: POOL,
          },
        ],
      },
    ],
    description: "",
    events: {},
    fee: 5000,
    feePayer: s.wallet,
    instructions: [],
    nativeTransfers,
    signature: s.signature,
    slot: s.slot ?? 362536673,
    source: s.source ?? "PUMP_AMM",
    timestamp: s.timestamp ?? Math.floor(Date.now() / 1000),
    tokenTransfers,
    transactionError: null,
    type: s.type ?? "SWAP",
  };
}

/** A base58 88-character signature, unique per seed and stable for the same seed. */
export const fakeSignature = (seed: string | number): string => b58(88, String(seed));
