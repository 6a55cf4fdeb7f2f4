/**
 * Builds Helius enhanced transactions in the shape of the real captured PumpSwap delivery
 * (../shared/fixtures/helius-webhook-enhanced-swap-pumpamm.captured.json): SOL legs as WSOL token
 * transfers plus the native wrap/unwrap, fee transfers to third parties, `events: {}`.
 * Used by tests, `npm run bench` and `npm run demo`.
 */
import { addressOf, b58, tokenAccountOf } from "./helius";

export const WSOL = "So11111111111111111111111111111111111111112";
export const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const POOL = "DmyGpMBR5bVLVViypBXAPX5D5FW6GaVzMWEx7sF8i6rT";
const POOL_WSOL_ACCOUNT = "J9ETcDLLwcFtQBaRcnAo4EKfnW4WEVNPXYPHmFTrHCmb";
const FEE_COLLECTOR = "9yMwSPk9mrXSN7yDHUuZurAh1sjbJsfpUqjZ7SvVtdco";
const POOL_USDC_ACCOUNT = addressOf("pool-usdc-account");

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
  const walletTokenAccount = tokenAccountOf(s.wallet, s.mint);
  const walletWsolAccount = tokenAccountOf(s.wallet, WSOL);
  const walletUsdcAccount = tokenAccountOf(s.wallet, USDC);
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
      fromTokenAccount: buy ? walletWsolAccount : POOL_WSOL_ACCOUNT,
      fromUserAccount: buy ? s.wallet : POOL,
      mint: WSOL,
      toTokenAccount: buy ? POOL_WSOL_ACCOUNT : walletWsolAccount,
      toUserAccount: buy ? POOL : s.wallet,
      tokenAmount: s.quote_amount,
      tokenStandard: "Fungible",
    });
    // the wrap (buy) or unwrap (sell) of the same SOL: one leg, seen twice
    nativeTransfers.push(
      buy
        ? { amount: lamports, fromUserAccount: s.wallet, toUserAccount: walletWsolAccount }
        : { amount: lamports, fromUserAccount: walletWsolAccount, toUserAccount: s.wallet },
    );
  } else if (quote === "native") {
    nativeTransfers.push({
      amount: lamports,
      fromUserAccount: buy ? s.wallet : POOL,
      toUserAccount: buy ? POOL : s.wallet,
    });
  } else {
    tokenTransfers.push({
      fromTokenAccount: buy ? walletUsdcAccount : POOL_USDC_ACCOUNT,
      fromUserAccount: buy ? s.wallet : POOL,
      mint: USDC,
      toTokenAccount: buy ? POOL_USDC_ACCOUNT : walletUsdcAccount,
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

/** Rent-exempt minimum of an SPL token account: paid when a trade creates one, refunded when one is closed. */
export const TOKEN_ACCOUNT_RENT_LAMPORTS = 2_039_280;
const PUMP_FEE_RECIPIENT = "CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM";
const JITO_TIP_ACCOUNT = "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5";

export interface CurveSwapSpec {
  signature: string;
  wallet: string;
  mint: string;
  side: "buy" | "sell";
  /** SOL the bonding curve received (BUY) or paid out (SELL), whole SOL. */
  sol: number;
  /** Whole tokens. */
  tokens: number;
  decimals?: number;
  timestamp?: number;
  /**
   * `balances-only`: the real shape with no tokenTransfers, no nativeTransfers and no feePayer — only
   * accountData. `pump-curve`: the token leg is a normal token transfer, the SOL leg only lamport changes
   * (the platform fee is a system transfer).
   */
  shape: "balances-only" | "pump-curve";
  /** The trade creates the wallet's token account (BUY) or closes it (SELL): rent moves with the wallet. */
  token_account_rent?: boolean;
  /** Platform fee, lamports (1 % of the SOL by default), to the pump.fun fee recipient. */
  platform_fee_lamports?: number;
  /** A tip paid by the wallet to a Jito tip account, lamports. */
  tip_lamports?: number;
  /** Leave the curve's own lamport change out of accountData (the wallet's change is then all there is). */
  omit_curve_lamports?: boolean;
}

/**
 * A pump.fun bonding-curve trade as Helius delivers it (shapes of ../shared/fixtures): the SOL moves by direct
 * lamport changes of the wallet and the curve, visible only in `accountData[].nativeBalanceChange`; the token
 * moves between the curve's and the wallet's token accounts (`tokenBalanceChanges[].rawTokenAmount`).
 */
export function buildCurveSwapTx(s: CurveSwapSpec) {
  const decimals = s.decimals ?? 6;
  const buy = s.side === "buy";
  const lamports = Math.round(s.sol * 1e9);
  const platformFee = s.platform_fee_lamports ?? Math.round(lamports / 100);
  const tip = s.tip_lamports ?? 0;
  const rent = s.token_account_rent ? TOKEN_ACCOUNT_RENT_LAMPORTS : 0;
  const networkFee = 5000;
  const curve = addressOf(`curve:${s.mint}`);
  const curveTokenAccount = tokenAccountOf(curve, s.mint);
  const walletTokenAccount = tokenAccountOf(s.wallet, s.mint);
  const rawTokens = raw(s.tokens, decimals);
  // BUY: the wallet pays the curve, the fee, the tip, the rent of its new token account and the network fee.
  // SELL: the curve pays out; the fee is taken from the proceeds; closing the token account refunds its rent.
  const walletDelta = buy
    ? -(lamports + platformFee + tip + rent + networkFee)
    : lamports - platformFee - tip + rent - networkFee;
  const accountData: Record<string, unknown>[] = [
    { account: s.wallet, nativeBalanceChange: walletDelta, tokenBalanceChanges: [] },
    {
      account: walletTokenAccount,
      nativeBalanceChange: buy ? rent : -rent,
      tokenBalanceChanges: [
        {
          mint: s.mint,
          rawTokenAmount: { decimals, tokenAmount: buy ? rawTokens : `-${rawTokens}` },
          tokenAccount: walletTokenAccount,
          userAccount: s.wallet,
        },
      ],
    },
    ...(s.omit_curve_lamports
      ? []
      : [{ account: curve, nativeBalanceChange: buy ? lamports : -lamports, tokenBalanceChanges: [] }]),
    {
      account: curveTokenAccount,
      nativeBalanceChange: 0,
      tokenBalanceChanges: [
        {
          mint: s.mint,
          rawTokenAmount: { decimals, tokenAmount: buy ? `-${rawTokens}` : rawTokens },
          tokenAccount: curveTokenAccount,
          userAccount: curve,
        },
      ],
    },
    { account: PUMP_FEE_RECIPIENT, nativeBalanceChange: platformFee, tokenBalanceChanges: [] },
    ...(tip > 0 ? [{ account: JITO_TIP_ACCOUNT, nativeBalanceChange: tip, tokenBalanceChanges: [] }] : []),
    { account: "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P", nativeBalanceChange: 0, tokenBalanceChanges: [] },
  ];
  const common = {
    accountData,
    description: "",
    events: {},
    fee: networkFee,
    instructions: [],
    signature: s.signature,
    slot: 362536673,
    source: "PUMP_FUN",
    timestamp: s.timestamp ?? Math.floor(Date.now() / 1000),
    transactionError: null,
    type: buy ? "BUY" : "SELL",
  };
  if (s.shape === "balances-only") return { ...common, type: "UNKNOWN" };
  return {
    ...common,
    type: "TRANSFER",
    feePayer: s.wallet,
    nativeTransfers: [
      // Only what the system program moved: the fee (BUY: from the wallet) and the tip. The trade's SOL is not here.
      ...(buy && platformFee > 0
        ? [{ amount: platformFee, fromUserAccount: s.wallet, toUserAccount: PUMP_FEE_RECIPIENT }]
        : []),
      ...(tip > 0 ? [{ amount: tip, fromUserAccount: s.wallet, toUserAccount: JITO_TIP_ACCOUNT }] : []),
    ],
    tokenTransfers: [
      {
        fromTokenAccount: buy ? curveTokenAccount : walletTokenAccount,
        fromUserAccount: buy ? curve : s.wallet,
        mint: s.mint,
        toTokenAccount: buy ? walletTokenAccount : curveTokenAccount,
        toUserAccount: buy ? s.wallet : curve,
        tokenAmount: s.tokens,
        tokenStandard: "Fungible",
      },
    ],
  };
}
