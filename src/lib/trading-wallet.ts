import { createKeyPairFromBytes, getAddressFromPublicKey, getBase58Encoder } from "@solana/kit";

/**
 * The trading wallet's public address, derived from WALLET_PRIVATE_KEY (base58 of the 64-byte secret
 * key). createKeyPairFromBytes checks that the public half matches the private half, so a corrupted key
 * is reported as invalid instead of showing an address that cannot sign. The key never leaves here.
 */
export type TradingWalletKey =
  | { configured: false }
  | { configured: true; valid: true; address: string }
  | { configured: true; valid: false; problem: string };

let cache: { key: string; result: TradingWalletKey } | null = null;

export async function tradingWalletKey(secret: string | undefined): Promise<TradingWalletKey> {
  if (!secret) return { configured: false };
  if (cache?.key === secret) return cache.result;
  let result: TradingWalletKey;
  try {
    const bytes = getBase58Encoder().encode(secret.trim());
    if (bytes.length !== 64) throw new Error(`expected 64 bytes, got ${bytes.length}`);
    const pair = await createKeyPairFromBytes(bytes);
    result = { configured: true, valid: true, address: await getAddressFromPublicKey(pair.publicKey) };
  } catch {
    // Never echo the error: it could quote part of the key.
    result = {
      configured: true,
      valid: false,
      problem: "WALLET_PRIVATE_KEY is not a base58 64-byte Solana secret key",
    };
  }
  cache = { key: secret, result };
  return result;
}
