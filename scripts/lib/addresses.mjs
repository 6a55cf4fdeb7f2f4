// Valid Solana addresses (32 random bytes, base58) for scripted wallets and mints.
import { getAddressDecoder } from "@solana/kit";

const decoder = getAddressDecoder();
export const randomAddress = () => decoder.decode(crypto.getRandomValues(new Uint8Array(32)));
export const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
