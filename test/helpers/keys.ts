import { getBase58Decoder } from "@solana/kit";

/**
 * A fresh Ed25519 key pair as a Solana secret key (base58 of seed ‖ public key, 64 bytes: the format of
 * the Solana CLI and wallet exports) and its address. For secrets like FUNDING_WALLET_PRIVATE_KEY in tests.
 */
export async function newSolanaSecretKey(): Promise<{ secret: string; address: string; seed: string }> {
  const pair = (await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const pub = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const bytes = new Uint8Array(64);
  bytes.set(pkcs8.slice(-32), 0); // the 32-byte seed ends the PKCS#8 document
  bytes.set(pub, 32);
  const b58 = getBase58Decoder();
  return { secret: b58.decode(bytes), address: b58.decode(pub), seed: b58.decode(bytes.slice(0, 32)) };
}
