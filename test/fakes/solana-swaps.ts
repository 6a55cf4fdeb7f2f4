/**
 * The fake market's swap side (issue 11), used by the fake upstream worker: Jupiter's `/swap/v1/swap`
 * answers a real unsigned v0 transaction paid by the trading wallet (built with @solana/kit, a fresh fake
 * blockhash per swap and its lastValidBlockHeight), the RPC lands it once its fee payer's signature is
 * verified (test/fakes/solana-chain.ts), and `getTransaction` shows the balance changes a fill reads.
 *
 * Scriptable, in order of use: the next swaps' `simulationError`s; the next landed swaps' fate (`land`,
 * `drop` = never lands, `fail` with an on-chain error, after `pending_polls` status polls answering null,
 * filling `fill_factor` of the quoted amount); the block height's step per `getBlockHeight` call (expiry).
 */
import {
  AccountRole,
  address,
  appendTransactionMessageInstruction,
  compileTransaction,
  createTransactionMessage,
  getBase58Decoder,
  getBase58Encoder,
  getBase64EncodedWireTransaction,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
} from "@solana/kit";

/** Jupiter's aggregator program id (public): the fake swap instruction targets it. */
export const FAKE_JUPITER_PROGRAM = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4";
const WSOL = "So11111111111111111111111111111111111111112";
export const FAKE_SWAP_PRIORITY_FEE = 9999;

export interface SwapTerms {
  owner: string;
  input_mint: string;
  output_mint: string;
  in_amount: string;
  out_amount: string;
  blockhash: string;
  last_valid_block_height: number;
  token_account: string;
}

export interface LandScript {
  outcome: "land" | "drop" | "fail";
  pending_polls?: number;
  err?: unknown;
  /** Fraction of the quoted out amount really received (a real fill differs from the quote). */
  fill_factor?: number;
}

export interface LandedSwap {
  signature: string;
  terms: SwapTerms;
  outcome: "land" | "drop" | "fail";
  err: unknown;
  polls_left: number;
  slot: number;
  block_time: number;
  fee: number;
  pre_lamports: number;
  post_lamports: number;
  pre_token: string;
  post_token: string;
  decimals: number;
}

export interface SwapState {
  byBlockhash: Record<string, SwapTerms>;
  built: number;
  simulationErrors: { errorCode: string; error?: string }[];
  landQueue: LandScript[];
  landed: Record<string, LandedSwap>;
  blockHeightStep: number;
  expiredSends: number;
}

export const freshSwaps = (): SwapState => ({
  byBlockhash: {},
  built: 0,
  simulationErrors: [],
  landQueue: [],
  landed: {},
  blockHeightStep: 0,
  expiredSends: 0,
});

/** A deterministic fake blockhash / address from a label (32 bytes, base58). */
async function fakeKey(label: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(label)));
  return getBase58Decoder().decode(digest);
}

/** `/swap/v1/swap`: a real unsigned transaction for `owner`, registered by its (unique) blockhash. */
export async function buildSwap(
  s: SwapState,
  owner: string,
  quote: { inputMint: string; outputMint: string; inAmount: string; outAmount: string },
  blockHeight: number,
): Promise<{ wire: string; last_valid_block_height: number }> {
  s.built++;
  const blockhash = await fakeKey(`fake-blockhash-${s.built}-${owner}`);
  const tokenMint = quote.inputMint === WSOL ? quote.outputMint : quote.inputMint;
  const token_account = await fakeKey(`ata-${owner}-${tokenMint}`);
  const last_valid_block_height = blockHeight + 150;
  const data = new TextEncoder().encode(`swap:${quote.inAmount}:${quote.outAmount}`);
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayer(address(owner), m),
    (m) =>
      setTransactionMessageLifetimeUsingBlockhash(
        { blockhash: blockhash as never, lastValidBlockHeight: BigInt(last_valid_block_height) },
        m,
      ),
    (m) =>
      appendTransactionMessageInstruction(
        {
          programAddress: address(FAKE_JUPITER_PROGRAM),
          accounts: [
            { address: address(owner), role: AccountRole.WRITABLE_SIGNER },
            { address: address(token_account), role: AccountRole.WRITABLE },
            { address: address(tokenMint), role: AccountRole.READONLY },
          ],
          data,
        },
        m,
      ),
  );
  const wire = getBase64EncodedWireTransaction(compileTransaction(message));
  s.byBlockhash[blockhash] = {
    owner,
    input_mint: quote.inputMint,
    output_mint: quote.outputMint,
    in_amount: quote.inAmount,
    out_amount: quote.outAmount,
    blockhash,
    last_valid_block_height,
    token_account,
  };
  return { wire, last_valid_block_height };
}

/** The blockhash of a wire transaction (base64 or base58), or null when it does not decode. */
export function blockhashOf(wire: string, encoding: string): string | null {
  try {
    const bytes =
      encoding === "base64"
        ? Uint8Array.from(atob(wire), (c) => c.charCodeAt(0))
        : new Uint8Array(getBase58Encoder().encode(wire));
    const tx = getTransactionDecoder().decode(bytes);
    return String(getCompiledTransactionMessageDecoder().decode(tx.messageBytes).lifetimeToken);
  } catch {
    return null;
  }
}

export interface Holdings {
  balances: Record<string, number>;
  tokenAccounts: Record<string, { mint: string; amount: string; decimals: number; program?: "token" | "token2022" }[]>;
  decimalsOf: (mint: string) => number;
}

/** A verified swap transaction was accepted for the first time: decide its fate and move the balances. */
export function landSwap(
  s: SwapState,
  terms: SwapTerms,
  signature: string,
  slot: number,
  fallbackMode: "land" | "drop" | "fail",
  h: Holdings,
): LandedSwap {
  const script = s.landQueue.shift() ?? { outcome: fallbackMode };
  const buy = terms.input_mint === WSOL;
  const tokenMint = buy ? terms.output_mint : terms.input_mint;
  const decimals = h.decimalsOf(tokenMint);
  h.tokenAccounts[terms.owner] = h.tokenAccounts[terms.owner] ?? [];
  const accounts = h.tokenAccounts[terms.owner] as NonNullable<Holdings["tokenAccounts"][string]>;
  let acct = accounts.find((a) => a.mint === tokenMint);
  const pre_token = acct?.amount ?? "0";
  const pre_lamports = h.balances[terms.owner] ?? 0;
  const fee = 5000 + FAKE_SWAP_PRIORITY_FEE;
  let post_lamports = pre_lamports;
  let post_token = pre_token;
  if (script.outcome !== "drop") {
    post_lamports -= fee;
    if (script.outcome === "land") {
      const out = BigInt(Math.floor(Number(terms.out_amount) * (script.fill_factor ?? 1)));
      if (buy) {
        post_lamports -= Number(terms.in_amount);
        post_token = (BigInt(pre_token) + out).toString();
      } else {
        post_lamports += Number(out);
        post_token = (BigInt(pre_token) - BigInt(terms.in_amount)).toString();
      }
      if (!acct) {
        acct = { mint: tokenMint, amount: "0", decimals };
        accounts.push(acct);
      }
      acct.amount = post_token;
    }
    h.balances[terms.owner] = post_lamports;
  }
  const landed: LandedSwap = {
    signature,
    terms,
    outcome: script.outcome,
    err: script.outcome === "fail" ? (script.err ?? { InstructionError: [0, { Custom: 6001 }] }) : null,
    polls_left: script.pending_polls ?? 0,
    slot,
    block_time: Math.floor(Date.now() / 1000),
    fee,
    pre_lamports,
    post_lamports,
    pre_token,
    post_token,
    decimals,
  };
  s.landed[signature] = landed;
  return landed;
}

/** getSignatureStatuses for a swap: null while pending polls remain or when dropped. undefined = not a swap. */
export function swapStatus(s: SwapState, signature: string) {
  const l = s.landed[signature];
  if (!l) return undefined;
  if (l.outcome === "drop") return null;
  if (l.polls_left > 0) {
    l.polls_left--;
    return null;
  }
  return {
    slot: l.slot,
    confirmations: null,
    err: l.err,
    confirmationStatus: "confirmed",
    status: l.err ? { Err: l.err } : { Ok: null },
  };
}

/** getTransaction (encoding json) of a landed swap; null while unknown (dropped or still pending). */
export function swapTransaction(s: SwapState, signature: string) {
  const l = s.landed[signature];
  if (!l || l.outcome === "drop" || l.polls_left > 0) return undefined;
  const t = l.terms;
  const tokenMint = t.input_mint === WSOL ? t.output_mint : t.input_mint;
  const ui = (amount: string) => ({
    amount,
    decimals: l.decimals,
    uiAmount: Number(amount) / 10 ** l.decimals,
    uiAmountString: String(Number(amount) / 10 ** l.decimals),
  });
  const tokenBalance = (amount: string) => ({
    accountIndex: 1,
    mint: tokenMint,
    owner: t.owner,
    programId: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    uiTokenAmount: ui(amount),
  });
  return {
    slot: l.slot,
    blockTime: l.block_time,
    version: 0,
    meta: {
      err: l.err,
      fee: l.fee,
      preBalances: [l.pre_lamports, 2039280, 1461600, 1141440],
      postBalances: [l.post_lamports, 2039280, 1461600, 1141440],
      preTokenBalances: l.pre_token === "0" && l.post_token !== "0" ? [] : [tokenBalance(l.pre_token)],
      postTokenBalances: [tokenBalance(l.post_token)],
      innerInstructions: [],
      logMessages: [],
      loadedAddresses: { writable: [], readonly: [] },
      status: l.err ? { Err: l.err } : { Ok: null },
      rewards: [],
    },
    transaction: {
      message: {
        accountKeys: [t.owner, t.token_account, tokenMint, FAKE_JUPITER_PROGRAM],
        header: { numRequiredSignatures: 1, numReadonlySignedAccounts: 0, numReadonlyUnsignedAccounts: 2 },
        instructions: [],
        recentBlockhash: t.blockhash,
      },
      signatures: [signature],
    },
  };
}
