/**
 * The fake cluster's transaction side, shared by every test that sends a real transaction (scheduled
 * fundings, live swaps): `sendTransaction` decodes the wire bytes, verifies every required Ed25519
 * signature against its signer (the fee payer first) with WebCrypto, and records the transaction once
 * per signature — a re-send of the same bytes is counted but lands once, as on the real cluster.
 * System-program transfers move the fake balances and show up in getSignaturesForAddress and in
 * Helius's parse API (nativeTransfers), so a refresh afterwards sees the funding.
 *
 * What happens to an accepted transaction is scriptable (`sendMode`): `land` (confirmed, the default),
 * `drop` (accepted, never lands: its status stays null) or `fail` (lands with an instruction error).
 */
import {
  getAddressEncoder,
  getBase58Decoder,
  getBase58Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
} from "@solana/kit";

const SYSTEM_PROGRAM = "11111111111111111111111111111111";
export const FAKE_FEE_LAMPORTS = 5000;

export type SendMode = "land" | "drop" | "fail";

export interface NativeTransfer {
  from: string;
  to: string;
  lamports: number;
}

export interface LandedTransaction {
  signature: string;
  fee_payer: string;
  signers: string[];
  transfers: NativeTransfer[];
  blockhash: string;
  slot: number;
  block_time: number;
  /** How many times these bytes were sent (a re-broadcast lands once). */
  sends: number;
  outcome: "landed" | "dropped" | "failed";
}

export interface ChainState {
  landed: Record<string, LandedTransaction>;
  sendMode: SendMode;
  slot: number;
  rejectedSends: number;
}

export const freshChain = (): ChainState => ({ landed: {}, sendMode: "land", slot: 341_197_300, rejectedSends: 0 });

export type SendResult =
  | { ok: true; signature: string; tx: LandedTransaction; first: boolean }
  | { ok: false; code: number; message: string };

const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Decodes and verifies a base64 (or base58) wire transaction and records it in `chain`. */
export async function acceptTransaction(chain: ChainState, wire: string, encoding = "base58"): Promise<SendResult> {
  let bytes: Uint8Array;
  let decoded: ReturnType<ReturnType<typeof getTransactionDecoder>["decode"]>;
  let message: ReturnType<ReturnType<typeof getCompiledTransactionMessageDecoder>["decode"]>;
  try {
    bytes = encoding === "base64" ? b64ToBytes(wire) : new Uint8Array(getBase58Encoder().encode(wire));
    decoded = getTransactionDecoder().decode(bytes);
    message = getCompiledTransactionMessageDecoder().decode(decoded.messageBytes);
  } catch {
    chain.rejectedSends++;
    return { ok: false, code: -32602, message: "invalid transaction: failed to deserialize" };
  }
  const signers = Object.keys(decoded.signatures);
  const feePayer = message.staticAccounts[0] as string | undefined;
  if (!feePayer || signers[0] !== feePayer) {
    chain.rejectedSends++;
    return { ok: false, code: -32602, message: "invalid transaction: no fee payer signature" };
  }
  const b58 = getBase58Decoder();
  for (const signer of signers) {
    const sig = decoded.signatures[signer as keyof typeof decoded.signatures];
    const valid =
      sig != null &&
      (await crypto.subtle.verify(
        "Ed25519",
        await crypto.subtle.importKey(
          "raw",
          new Uint8Array(getAddressEncoder().encode(signer as never)),
          "Ed25519",
          false,
          ["verify"],
        ),
        sig as Uint8Array,
        decoded.messageBytes as unknown as Uint8Array,
      ));
    if (!valid) {
      chain.rejectedSends++;
      return { ok: false, code: -32003, message: "Transaction signature verification failure" };
    }
  }
  const signature = b58.decode(decoded.signatures[feePayer as keyof typeof decoded.signatures] as Uint8Array);
  const existing = chain.landed[signature];
  if (existing) {
    existing.sends++;
    return { ok: true, signature, tx: existing, first: false };
  }
  const transfers: NativeTransfer[] = [];
  const instructions =
    (
      message as unknown as {
        instructions?: { programAddressIndex: number; accountIndices?: number[]; data?: Uint8Array }[];
      }
    ).instructions ?? [];
  for (const ix of instructions) {
    const program = message.staticAccounts[ix.programAddressIndex] as string;
    const data = ix.data ?? new Uint8Array();
    if (program !== SYSTEM_PROGRAM || data.length < 12) continue;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(0, true) !== 2) continue; // SystemInstruction::Transfer
    const [fromIdx, toIdx] = ix.accountIndices ?? [];
    transfers.push({
      from: message.staticAccounts[fromIdx as number] as string,
      to: message.staticAccounts[toIdx as number] as string,
      lamports: Number(view.getBigUint64(4, true)),
    });
  }
  chain.slot += 1;
  const outcome = chain.sendMode === "land" ? "landed" : chain.sendMode === "drop" ? "dropped" : "failed";
  const tx: LandedTransaction = {
    signature,
    fee_payer: feePayer,
    signers,
    transfers,
    blockhash: String(message.lifetimeToken),
    slot: chain.slot,
    block_time: Math.floor(Date.now() / 1000),
    sends: 1,
    outcome,
  };
  chain.landed[signature] = tx;
  return { ok: true, signature, tx, first: true };
}

/** The Helius enhanced-transaction shape of a landed transfer (what POST /v0/transactions serves). */
export function enhancedOf(tx: LandedTransaction) {
  return {
    description: "",
    type: "TRANSFER",
    source: "SYSTEM_PROGRAM",
    fee: FAKE_FEE_LAMPORTS,
    feePayer: tx.fee_payer,
    signature: tx.signature,
    slot: tx.slot,
    timestamp: tx.block_time,
    tokenTransfers: [],
    nativeTransfers: tx.transfers.map((t) => ({ fromUserAccount: t.from, toUserAccount: t.to, amount: t.lamports })),
    accountData: [],
    transactionError: tx.outcome === "failed" ? { InstructionError: [0, "Custom"] } : null,
    instructions: [],
    events: {},
  };
}
