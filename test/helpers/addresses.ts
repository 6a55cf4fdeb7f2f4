import { getAddressDecoder, getBase58Decoder } from "@solana/kit";

/** A fresh valid Solana address (32 random bytes, base58): D1 is shared by the tests of a file. */
export const randomAddress = (): string => getAddressDecoder().decode(crypto.getRandomValues(new Uint8Array(32)));

/** Base58 text that decodes to `n` bytes (31 or 33 → not an address although it looks like one). */
export const base58OfLength = (n: number): string =>
  getBase58Decoder().decode(crypto.getRandomValues(new Uint8Array(n)).map((b) => b | 1));

/** A valid, deterministic Solana address (32 bytes, base58) for test number `n` in namespace `ns`. */
export function testAddress(ns: number, n: number): string {
  const bytes = new Uint8Array(32);
  bytes[0] = 7;
  bytes[1] = ns & 0xff;
  bytes[2] = (n >> 8) & 0xff;
  bytes[3] = n & 0xff;
  for (let i = 4; i < 32; i++) bytes[i] = (i * 31 + ns * 7 + n) & 0xff;
  return getAddressDecoder().decode(bytes);
}
