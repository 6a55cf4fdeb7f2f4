import { getAddressDecoder } from "@solana/kit";

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
