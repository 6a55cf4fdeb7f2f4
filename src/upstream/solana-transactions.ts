import {
  AccountRole,
  address,
  appendTransactionMessageInstruction,
  type Base64EncodedWireTransaction,
  createKeyPairSignerFromBytes,
  createTransactionMessage,
  getBase58Encoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  pipe,
  type Signature,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { z } from "zod";
import { UpstreamError } from "./http";
import { call, type RpcEnv, u64 } from "./solana-rpc";

/**
 * Building, signing, sending and confirming plain SOL transfers (scheduled fundings). The secret key is
 * turned into a non-extractable WebCrypto key pair and never leaves this module; only the signature and
 * the signed wire bytes come back (both public once sent).
 */

const SYSTEM_PROGRAM = address("11111111111111111111111111111111");
/** System program instruction index of Transfer (u32 LE), followed by the lamports (u64 LE). */
const SYSTEM_TRANSFER = 2;

export interface SignedTransfer {
  signature: string;
  /** base64 wire transaction: re-sent as-is after a crash (same signature, lands at most once). */
  wire: string;
  last_valid_block_height: number;
  from: string;
}

/** base58 secret key (64 bytes: secret + public, the Solana CLI/Phantom export) → signer. Throws a plain message. */
export async function signerFromSecret(secretBase58: string) {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(getBase58Encoder().encode(secretBase58.trim()));
  } catch {
    throw new Error("funding wallet key is not base58");
  }
  if (bytes.length !== 64) throw new Error(`funding wallet key must be 64 bytes (got ${bytes.length})`);
  return createKeyPairSignerFromBytes(bytes);
}

export async function latestBlockhash(env: RpcEnv) {
  const res = await call(
    env,
    "getLatestBlockhash",
    z.object({ value: z.object({ blockhash: z.string().min(32), lastValidBlockHeight: u64 }) }),
    (rpc, abortSignal) => rpc.getLatestBlockhash({ commitment: "confirmed" }).send({ abortSignal }),
  );
  return { blockhash: res.value.blockhash, lastValidBlockHeight: res.value.lastValidBlockHeight };
}

export async function blockHeight(env: RpcEnv): Promise<number> {
  const h = await call(env, "getBlockHeight", u64, (rpc, abortSignal) =>
    rpc.getBlockHeight({ commitment: "confirmed" }).send({ abortSignal }),
  );
  return Number(h);
}

/** A signed transfer of `lamports` from the signer to `to`; nothing is sent. */
export async function buildSignedTransfer(
  env: RpcEnv,
  signer: Awaited<ReturnType<typeof signerFromSecret>>,
  to: string,
  lamports: bigint,
): Promise<SignedTransfer> {
  const { blockhash, lastValidBlockHeight } = await latestBlockhash(env);
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, SYSTEM_TRANSFER, true);
  view.setBigUint64(4, lamports, true);
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(signer, m),
    (m) =>
      setTransactionMessageLifetimeUsingBlockhash(
        {
          blockhash: blockhash as Parameters<typeof setTransactionMessageLifetimeUsingBlockhash>[0]["blockhash"],
          lastValidBlockHeight,
        },
        m,
      ),
    (m) =>
      appendTransactionMessageInstruction(
        {
          programAddress: SYSTEM_PROGRAM,
          accounts: [
            { address: signer.address, role: AccountRole.WRITABLE_SIGNER, signer },
            { address: address(to), role: AccountRole.WRITABLE },
          ],
          data,
        },
        m,
      ),
  );
  const tx = await signTransactionMessageWithSigners(message);
  return {
    signature: getSignatureFromTransaction(tx),
    wire: getBase64EncodedWireTransaction(tx),
    last_valid_block_height: Number(lastValidBlockHeight),
    from: signer.address,
  };
}

/** Sends signed bytes; the node answers with their signature (skipPreflight: the fee payer was checked). */
export async function sendWireTransaction(env: RpcEnv, wire: string): Promise<string> {
  return call(env, "sendTransaction", z.string().min(32), (rpc, abortSignal) =>
    rpc
      .sendTransaction(wire as Base64EncodedWireTransaction, {
        encoding: "base64",
        preflightCommitment: "confirmed",
        maxRetries: 0n,
      })
      .send({ abortSignal }),
  );
}

export interface SignatureStatus {
  confirmation_status: "processed" | "confirmed" | "finalized" | null;
  /** Non-null when the transaction landed and failed (it will never succeed). */
  err: unknown;
  slot: number;
}

export const SignatureStatusesSchema = z.object({
  value: z.array(
    z
      .object({
        slot: u64,
        err: z.unknown().nullable().optional(),
        confirmationStatus: z.enum(["processed", "confirmed", "finalized"]).nullable().optional(),
      })
      .nullable(),
  ),
});

export const toSignatureStatus = (
  v: z.infer<typeof SignatureStatusesSchema>["value"][number],
): SignatureStatus | null =>
  v ? { confirmation_status: v.confirmationStatus ?? null, err: v.err ?? null, slot: Number(v.slot) } : null;

/** Statuses of up to 256 signatures in one call; null = the cluster does not know the signature (yet). */
export async function signatureStatuses(env: RpcEnv, signatures: readonly string[]) {
  const res = await call(env, "getSignatureStatuses", SignatureStatusesSchema, (rpc, abortSignal) =>
    rpc.getSignatureStatuses(signatures as Signature[], { searchTransactionHistory: true }).send({ abortSignal }),
  );
  if (res.value.length !== signatures.length)
    throw new UpstreamError("solana-rpc", "malformed", "getSignatureStatuses: answer length differs from the request");
  return res.value.map(toSignatureStatus);
}
