/**
 * The webhook route's isolate-level watch list (issue 10: no D1 read before the ack in the normal case):
 * watched address → wallet id and active flag, loaded from D1 once per isolate and refreshed by every D1
 * look-up the route still makes (fee payers the cache does not know).
 *
 * It is only a routing hint. A stale entry never decides anything: the WalletActor checks the wallet
 * against its own hot state (pushed by the writers) and confirms from D1 when they disagree, answering
 * `ignored` for a wallet that is gone — and the route then forgets the entry. What the cache does not hold
 * is never ignored on its word: such a transaction takes the D1 path, so a wallet added after the load
 * still gets its first delivery.
 */
export interface WatchedWallet {
  id: number;
  address: string;
  is_active: boolean;
}

let entries: Map<string, WatchedWallet> | null = null;
let loading: Promise<Map<string, WatchedWallet> | null> | null = null;

type Row = { id: number; address: string; is_active: number };
const toWatched = (r: Row): WatchedWallet => ({ id: r.id, address: r.address, is_active: r.is_active === 1 });

/**
 * The cache, loading it on first use (one load for concurrent first deliveries). A failed load answers null
 * (the caller takes the D1 path for everything) and is tried again by the next delivery.
 */
export async function watchCache(db: D1Database): Promise<Map<string, WatchedWallet> | null> {
  if (entries) return entries;
  loading ??= (async () => {
    try {
      const { results } = await db.prepare("SELECT id, address, is_active FROM wallets").all<Row>();
      entries = new Map(results.map((r) => [r.address, toWatched(r)]));
      return entries;
    } catch {
      return null;
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** The wallets watched among `addresses`, from D1; the answer refreshes the cache (found, and absent). */
export async function lookUpWatched(db: D1Database, addresses: readonly string[]): Promise<WatchedWallet[]> {
  if (addresses.length === 0) return [];
  // json_each: D1 caps bound parameters at 100.
  const { results } = await db
    .prepare("SELECT id, address, is_active FROM wallets WHERE address IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(addresses))
    .all<Row>();
  const found = results.map(toWatched);
  if (entries) {
    const hit = new Set(found.map((w) => w.address));
    for (const a of addresses) if (!hit.has(a)) entries.delete(a);
    for (const w of found) entries.set(w.address, w);
  }
  return found;
}

/** What a WalletActor answered about its wallet: its current id, or gone (null). */
export function noteWallet(address: string, wallet: { id: number; is_active: boolean } | null) {
  if (!entries) return;
  if (wallet) entries.set(address, { address, ...wallet });
  else entries.delete(address);
}

/** Tests: forget the isolate's cache (the next delivery loads it again). */
export function resetWatchCache() {
  entries = null;
  loading = null;
}
