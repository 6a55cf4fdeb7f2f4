/** Builders of Helius enhanced transactions in the real delivered shape (../shared/fixtures). */
import { getAddressDecoder } from "@solana/kit";

export const WSOL = "So11111111111111111111111111111111111111112";
export const USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
export const USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
let counter = 0;

/** A unique base58 string of `len` characters (signatures: 88; addresses: 44). */
export function b58(len: number, seed = `${Date.now()}${counter++}${Math.random()}`): string {
  let h = 2166136261;
  // Fold the whole seed in first, so seeds longer than `len` still give distinct strings.
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  let out = "";
  for (let i = 0; out.length < len; i++) {
    h ^= seed.charCodeAt(i % seed.length) + i;
    h = Math.imul(h, 16777619) >>> 0;
    out += B58[h % 58];
  }
  return out;
}
export const sig = () => b58(88);

const addressDecoder = getAddressDecoder();
/**
 * A valid Solana address (32 bytes, base58) derived from `seed`: the webhook checks every account and mint
 * (issue 9, item 14), so builders never use look-alike strings. Same seed, same address.
 */
export function addressOf(seed: string): string {
  const bytes = new Uint8Array(32);
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  for (let i = 0; i < 32; i++) {
    h = Math.imul(h ^ (i + 1), 16777619) >>> 0;
    h ^= h >>> 13;
    bytes[i] = h & 0xff;
  }
  return addressDecoder.decode(bytes);
}
/** A fresh valid address. */
export const addr = () => addressOf(`${Date.now()}${counter++}${Math.random()}`);
/** The (deterministic) token account of `user` for `mint`, as a valid address. */
export const tokenAccountOf = (user: string, mint: string) => addressOf(`ata:${user}:${mint}`);

export interface TokenLeg {
  mint: string;
  amount: number; // UI
  from: string;
  to: string;
  fromTokenAccount?: string;
  toTokenAccount?: string;
  standard?: string;
}
export interface NativeLeg {
  amount: number; // lamports
  from: string;
  to: string;
}
export interface BalanceChange {
  user: string;
  mint: string;
  raw: string; // signed base units
  decimals: number;
  tokenAccount?: string;
}

export function tx(opts: {
  signature?: string;
  timestamp?: number;
  feePayer: string;
  tokens?: TokenLeg[];
  natives?: NativeLeg[];
  changes?: BalanceChange[];
  type?: string;
  source?: string;
  extra?: Record<string, unknown>;
}) {
  const changes = opts.changes ?? [];
  return {
    accountData: [
      { account: opts.feePayer, nativeBalanceChange: -5000, tokenBalanceChanges: [] },
      ...changes.map((c) => ({
        account: c.tokenAccount ?? tokenAccountOf(c.user, c.mint),
        nativeBalanceChange: 0,
        tokenBalanceChanges: [
          {
            mint: c.mint,
            rawTokenAmount: { decimals: c.decimals, tokenAmount: c.raw },
            tokenAccount: c.tokenAccount ?? tokenAccountOf(c.user, c.mint),
            userAccount: c.user,
          },
        ],
      })),
    ],
    description: "",
    events: {},
    fee: 5000,
    feePayer: opts.feePayer,
    instructions: [],
    nativeTransfers: (opts.natives ?? []).map((n) => ({
      amount: n.amount,
      fromUserAccount: n.from,
      toUserAccount: n.to,
    })),
    signature: opts.signature ?? sig(),
    slot: 362536673,
    source: opts.source ?? "PUMP_AMM",
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    tokenTransfers: (opts.tokens ?? []).map((t) => ({
      fromTokenAccount: t.fromTokenAccount ?? tokenAccountOf(t.from, t.mint),
      fromUserAccount: t.from,
      mint: t.mint,
      toTokenAccount: t.toTokenAccount ?? tokenAccountOf(t.to, t.mint),
      toUserAccount: t.to,
      tokenAmount: t.amount,
      tokenStandard: t.standard ?? "Fungible",
    })),
    transactionError: null,
    type: opts.type ?? "SWAP",
    ...opts.extra,
  };
}

/** A pump.fun-style BUY: the wallet pays native SOL to the curve (+ a 1 % fee elsewhere) and gets the token. */
export function nativeBuy(
  wallet: string,
  mint: string,
  o: { sol: number; tokens: number; decimals?: number; signature?: string; timestamp?: number },
) {
  const curve = addr();
  const lamports = Math.round(o.sol * 1e9);
  const decimals = o.decimals ?? 6;
  return tx({
    signature: o.signature,
    timestamp: o.timestamp,
    feePayer: wallet,
    source: "PUMP_FUN",
    type: "TRANSFER",
    natives: [
      { amount: lamports, from: wallet, to: curve },
      { amount: Math.round(lamports / 100), from: wallet, to: addr() }, // platform fee
    ],
    tokens: [{ mint, amount: o.tokens, from: curve, to: wallet }],
    changes: [
      { user: wallet, mint, raw: String(BigInt(Math.round(o.tokens * 10 ** decimals))), decimals },
      { user: curve, mint, raw: `-${BigInt(Math.round(o.tokens * 10 ** decimals))}`, decimals },
    ],
  });
}
