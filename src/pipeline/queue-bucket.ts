import type { Config } from "../domain/config";
import { bucketLimits } from "../domain/swap-request";
import { type BucketLimits, type BucketState, takeToken, tokenReadyAt } from "../domain/token-bucket";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bucketHeldUntil } from "./live-queue";
import { readMeta, writeMeta } from "./queue-storage";

/** `meta` key of the swap token bucket's state (JSON BucketState). */
const BUCKET_KEY = "swap_bucket";
/** Config unknown (D1 unreachable, nothing cached): one token a second. */
const UNKNOWN_CONFIG_LIMITS: BucketLimits = { per_second: 1, burst: 1 };

const limitsOf = (cfg: Config | null | undefined): BucketLimits => (cfg ? bucketLimits(cfg) : UNKNOWN_CONFIG_LIMITS);

/** The stored token bucket; null when absent or unreadable (the bucket arithmetic treats it as full, as on first use). */
export function parseBucket(raw: string | null): BucketState | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as BucketState;
  } catch {
    return null;
  }
}

/**
 * The SwapQueue's token bucket for real upstream swap calls, kept in its `meta` (so eviction neither refills
 * nor empties it); the arithmetic is src/domain/token-bucket.ts.
 */
export class SwapBucket {
  constructor(private readonly sql: SqlStorage) {}

  read(): BucketState | null {
    return parseBucket(readMeta(this.sql, BUCKET_KEY));
  }

  write(state: BucketState): void {
    writeMeta(this.sql, BUCKET_KEY, JSON.stringify(state));
  }

  /** When the next token is there (now or earlier: one is there). */
  readyAt(cfg: Config | null, nowMs: number): number {
    return tokenReadyAt(this.read(), limitsOf(cfg), nowMs);
  }

  /**
   * Takes one token for a real upstream swap call, stored before the call is made (intent before acting:
   * a call cut short by eviction still counts against the limit, so a retry never overruns it).
   */
  take(cfg: Config): boolean {
    const taken = takeToken(this.read(), bucketLimits(cfg), Date.now());
    this.write(taken.state);
    if (!taken.taken) log.info("swap_rate_limited", { ready_at: nowIso(taken.ready_at_ms) });
    return taken.taken;
  }

  /** The live runner's take: 0 when a token was taken, else how long until the next one (at least 1 ms). */
  takeOrWaitMs(cfg: Config): number {
    return this.take(cfg) ? 0 : Math.max(1, this.readyAt(cfg, Date.now()) - Date.now());
  }

  /** Held empty until `untilMs` (the upstream's rate-limit reset), with the cached config's limits if any. */
  holdUntil(cfg: Config | null | undefined, untilMs: number): void {
    this.write(bucketHeldUntil(this.read(), limitsOf(cfg), untilMs, Date.now()));
  }
}
