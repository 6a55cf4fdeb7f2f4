import {
  type Base64EncodedWireTransaction,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getSignatureFromTransaction,
  getTransactionDecoder,
  type KeyPairSigner,
  type Signature,
  signTransaction,
} from "@solana/kit";
import { z } from "zod";
import { UpstreamError } from "./http";
import { call, type RpcEnv, u64 } from "./solana-rpc";

/**
 * The live executor's transaction side (issue 11): sign the versioned transaction Jupiter built, send it
 * with `maxRetries: 0` (WallTrack rebroadcasts itself), and read the fill from the confirmed transaction.
 * Statuses and the block height come from ./solana-transactions.ts (shared with scheduled fundings).
 */

export interface SignedSwap {
  signature: string;
  /** base64 wire transaction: rebroadcast as-is (same signature, lands at most once). */
  wire: string;
}

/**
 * Decodes Jupiter's base64 unsigned VersionedTransaction and signs it with the trading wallet. Refuses a
 * transaction whose fee payer is not the trading wallet or that needs another signer: it would never land
 * (or would spend someone else's authority), so it is a malformed answer, never signed.
 */
export async function signSwapTransaction(signer: KeyPairSigner, base64: string): Promise<SignedSwap> {
  let tx: ReturnType<ReturnType<typeof getTransactionDecoder>["decode"]>;
  let feePayer: string | undefined;
  try {
    tx = getTransactionDecoder().decode(getBase64Encoder().encode(base64));
    feePayer = getCompiledTransactionMessageDecoder().decode(tx.messageBytes).staticAccounts[0];
  } catch {
    throw new UpstreamError("jupiter", "malformed", "swapTransaction is not a decodable versioned transaction");
  }
  const signers = Object.keys(tx.signatures);
  if (feePayer !== signer.address || signers.length !== 1 || signers[0] !== signer.address)
    throw new UpstreamError(
      "jupiter",
      "malformed",
      "swapTransaction is not paid and signed by the trading wallet alone",
    );
  const signed = await signTransaction([signer.keyPair], tx);
  return { signature: getSignatureFromTransaction(signed), wire: getBase64EncodedWireTransaction(signed) };
}

/**
 * `sendTransaction` of signed bytes, `maxRetries: 0`. With preflight the node simulates first (a failing
 * swap answers a JSON-RPC error and is not broadcast); `skipPreflight` saves that round trip.
 */
export async function sendSwapTransaction(
  env: RpcEnv,
  wire: string,
  opts: { skipPreflight: boolean },
): Promise<string> {
  return call(env, "sendTransaction", z.string().min(32), (rpc, abortSignal) =>
    rpc
      .sendTransaction(wire as Base64EncodedWireTransaction, {
        encoding: "base64",
        skipPreflight: opts.skipPreflight,
        preflightCommitment: "confirmed",
        maxRetries: 0n,
      })
      .send({ abortSignal }),
  );
}

const TokenBalanceSchema = z
  .object({
    accountIndex: z.union([z.number(), z.bigint()]),
    mint: z.string(),
    owner: z.string().optional(),
    uiTokenAmount: z.object({ amount: z.string().regex(/^\d+$/), decimals: z.union([z.number(), z.bigint()]) }).loose(),
  })
  .loose();

export const SwapTransactionSchema = z
  .object({
    slot: u64,
    blockTime: u64.nullable().optional(),
    meta: z
      .object({
        err: z.unknown().nullable().optional(),
        fee: u64,
        preBalances: z.array(u64),
        postBalances: z.array(u64),
        preTokenBalances: z.array(TokenBalanceSchema).nullable().optional(),
        postTokenBalances: z.array(TokenBalanceSchema).nullable().optional(),
        loadedAddresses: z
          .object({ writable: z.array(z.string()), readonly: z.array(z.string()) })
          .nullable()
          .optional(),
      })
      .loose()
      .nullable(),
    transaction: z.object({ message: z.object({ accountKeys: z.array(z.string()) }).loose() }).loose(),
  })
  .loose()
  .nullable();
export type SwapTransactionResult = z.infer<typeof SwapTransactionSchema>;

/** `getTransaction` (json, v0 allowed) of a signature; null = not found (yet). */
export async function fetchSwapTransactionResult(env: RpcEnv, signature: string): Promise<SwapTransactionResult> {
  return call(env, "getTransaction", SwapTransactionSchema, (rpc, abortSignal) =>
    rpc
      .getTransaction(signature as Signature, {
        encoding: "json",
        maxSupportedTransactionVersion: 0,
        commitment: "confirmed",
      })
      .send({ abortSignal }),
  );
}
