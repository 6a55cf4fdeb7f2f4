import { getAddressDecoder, getBase58Decoder } from "@solana/kit";

/** A fresh valid Solana address (32 random bytes, base58): D1 is shared by the tests of a file. */
export const randomAddress = (): string => getAddressDecoder().decode(crypto.getRandomValues(new Uint8Array(32)));

/** Base58 text that decodes to `n` bytes (31 or 33 → not an address although it looks like one). */
export const base58OfLength = (n: number): string =>
  getBase58Decoder().decode(crypto.getRandomValues(new Uint8Array(n)).map((b) => b | 1));
