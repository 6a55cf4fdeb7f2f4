import {
  createKeyPairSignerFromBytes,
  createKeyPairSignerFromPrivateKeyBytes,
  getBase58Encoder,
  type KeyPairSigner,
} from "@solana/kit";

/**
 * The trading wallet, derived from WALLET_PRIVATE_KEY: base58 of the 64-byte secret key (seed ‖ public key,
 * the Solana CLI / Phantom export) or of the 32-byte seed alone. createKeyPairSignerFromBytes checks that the
 * public half matches the private half, so a corrupted key is reported as malformed instead of showing an
 * address that cannot sign. The key is turned into a non-extractable WebCrypto key pair and never leaves
 * here; only the address and a signer (which can sign but not reveal the key) come out. Signing needs
 * `globalThis.isSecureContext`, set once at start-up in src/index.ts.
 */
export type TradingWalletKey =
  | { configured: false; state: "missing" }
  | { configured: true; valid: true; state: "ok"; address: string }
  | { configured: true; valid: false; state: "malformed"; problem: string };

/** The reason for a key that does not decode. Never echoes the key or a decoder message (it could quote it). */
export const MALFORMED_KEY = "WALLET_PRIVATE_KEY is not a base58 Solana secret key (64 bytes, or the 32-byte seed)";

let cache: { key: string; result: TradingWalletKey; signer: KeyPairSigner | null } | null = null;

async function derive(secret: string): Promise<{ result: TradingWalletKey; signer: KeyPairSigner | null }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(getBase58Encoder().encode(secret.trim()));
  } catch {
    return {
      result: { configured: true, valid: false, state: "malformed", problem: `${MALFORMED_KEY}: not base58` },
      signer: null,
    };
  }
  if (bytes.length !== 64 && bytes.length !== 32)
    return {
      result: {
        configured: true,
        valid: false,
        state: "malformed",
        problem: `${MALFORMED_KEY}: decodes to ${bytes.length} bytes`,
      },
      signer: null,
    };
  try {
    const signer =
      bytes.length === 64
        ? await createKeyPairSignerFromBytes(bytes)
        : await createKeyPairSignerFromPrivateKeyBytes(bytes);
    return { result: { configured: true, valid: true, state: "ok", address: signer.address }, signer };
  } catch {
    const problem =
      bytes.length === 64
        ? `${MALFORMED_KEY}: its public half does not match its secret half`
        : `${MALFORMED_KEY}: the seed is not a usable Ed25519 key`;
    return { result: { configured: true, valid: false, state: "malformed", problem }, signer: null };
  }
}

async function load(secret: string | undefined) {
  if (!secret?.trim()) return { result: { configured: false, state: "missing" } as TradingWalletKey, signer: null };
  if (cache?.key === secret) return cache;
  const out = await derive(secret);
  cache = { key: secret, ...out };
  return out;
}

export async function tradingWalletKey(secret: string | undefined): Promise<TradingWalletKey> {
  return (await load(secret)).result;
}

/** The signer of the trading wallet, or the reason there is none (missing / malformed). */
export async function tradingWalletSigner(
  secret: string | undefined,
): Promise<{ ok: true; signer: KeyPairSigner } | { ok: false; reason: string }> {
  const { result, signer } = await load(secret);
  if (signer) return { ok: true, signer };
  return {
    ok: false,
    reason: result.state === "malformed" ? result.problem : "WALLET_PRIVATE_KEY is not configured",
  };
}
