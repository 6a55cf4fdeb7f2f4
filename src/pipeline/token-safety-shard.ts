import { type SafetyLookupConfig, safetyLookupConfig } from "../domain/safety";

/**
 * Token safety lives in a fixed set of TokenSafety objects, each holding the mints that hash to it. One object
 * per mint made every new memecoin (most BUYs) pay a Durable Object's creation and its SQLite set-up on the
 * hot path; a shard is warm after its first mint. Single-flight stays per mint inside the shard.
 * Changing the count re-homes every mint (their next look is a fresh lookup), so it is a constant.
 */
export const TOKEN_SAFETY_SHARDS = 32;

/** FNV-1a over the mint's characters: stable across isolates and deploys, cheap, spreads base58 evenly. */
export function tokenSafetyShard(mint: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < mint.length; i++) {
    h ^= mint.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % TOKEN_SAFETY_SHARDS;
}

/** The TokenSafety object that holds `mint`. */
export function tokenSafetyOf(env: Env, mint: string) {
  return env.TOKEN_SAFETY.getByName(`shard-${tokenSafetyShard(mint)}`);
}

/** The mint's safety from its TokenSafety object, sent only the config fields a lookup reads. */
export function assessSafety(env: Env, mint: string, config: SafetyLookupConfig) {
  return tokenSafetyOf(env, mint).assess(mint, safetyLookupConfig(config));
}
