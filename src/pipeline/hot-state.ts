/**
 * Hot state (issue 10): what an actor needs to decide — config, breaker state, a wallet's settings, its exit
 * strategy — cached in the actor's own SQLite storage and memory, so the trade path reads no D1.
 *
 * The contract, for any actor (WalletActor today; SwapQueue and PositionActor can use the same pieces):
 *
 *   - D1 holds one counter, `hot_state.version`, bumped by triggers (migration i10-core_data) on every write
 *     that changes cached data: config UPDATE, circuit_breaker_events INSERT, wallets INSERT / DELETE /
 *     UPDATE of a setting column, exit_strategies INSERT / UPDATE / DELETE. No writer can forget the bump.
 *   - A snapshot is `{ version, data }`, read from D1 in ONE batch (so `data` is exactly what `version` names).
 *   - In the actor: `const hot = new HotStateStore<T>(ctx.storage.sql)`; `hot.current()` is the cached
 *     snapshot (memory, else SQLite `meta`), `hot.apply(snapshot)` stores it unless the actor already holds a
 *     newer one (a version never moves backwards; an equal one replaces, it is the same data or fresher),
 *     `hot.get(load)` answers from the cache and calls `load()` (D1) only when the actor has none yet.
 *     The actor exposes `applyHotState(snapshot)` as an RPC: the push.
 *   - Writers: after their D1 write, `pushHotState` (src/pipeline/wallet-hot-state.ts for WalletActors)
 *     builds fresh snapshots and pushes them; each target that applied it is recorded in `hot_state_acks`
 *     (`recordAcks`). A push that fails leaves its target behind D1's version: `targetsBehind` lists them and
 *     the minute cron re-pushes until they confirm. A writer that died between its write and its push is the
 *     same case (its bump is in D1, its ack is missing).
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

export interface HotSnapshot<T> {
  version: number;
  data: T;
}

/** The versioned snapshot one actor caches, in memory and in its SQLite `meta` table (survives eviction). */
export class HotStateStore<T> {
  private cached: HotSnapshot<T> | null | undefined;

  constructor(
    private readonly sqlx: SqlStorage,
    private readonly key = "hot_state",
  ) {
    sqlx.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  current(): HotSnapshot<T> | null {
    if (this.cached === undefined) {
      const row = this.sqlx.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", this.key).toArray()[0];
      this.cached = row ? (JSON.parse(row.value) as HotSnapshot<T>) : null;
    }
    return this.cached;
  }

  /** Stores the snapshot unless a newer one is held. Synchronous: no other call interleaves. */
  apply(snapshot: HotSnapshot<T>): { applied: boolean; version: number } {
    const cur = this.current();
    if (cur && cur.version > snapshot.version) return { applied: false, version: cur.version };
    this.sqlx.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      this.key,
      JSON.stringify(snapshot),
    );
    this.cached = snapshot;
    return { applied: true, version: snapshot.version };
  }

  /** The cached data; loaded from D1 (and kept) only when this actor has none yet. */
  async get(load: () => Promise<HotSnapshot<T>>): Promise<T> {
    const cur = this.current();
    if (cur) return cur.data;
    const fresh = await load();
    this.apply(fresh); // a push that landed during the load wins if it is newer
    return (this.current() as HotSnapshot<T>).data;
  }
}

/** D1's current hot-state version. */
export async function hotStateVersion(db: Db): Promise<number> {
  const row = await db.get<{ version: number }>(sql`SELECT version FROM hot_state WHERE id = 1`);
  return row?.version ?? 0;
}

/** Records that these targets applied these versions (never lowers a recorded version). */
export async function recordAcks(db: Db, acks: { target: string; version: number }[]) {
  if (acks.length === 0) return;
  await db.run(sql`
    INSERT INTO hot_state_acks (target, version, updated_at)
    SELECT json_extract(value, '$.target'), json_extract(value, '$.version'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM json_each(${JSON.stringify(acks)}) WHERE true
    ON CONFLICT (target) DO UPDATE SET version = MAX(version, excluded.version), updated_at = excluded.updated_at`);
}

/** Forgets targets that no longer cache anything (a deleted wallet's actor, told so). */
export async function forgetTargets(db: Db, targets: string[]) {
  if (targets.length === 0) return;
  await db.run(
    sql`DELETE FROM hot_state_acks WHERE target IN (SELECT value FROM json_each(${JSON.stringify(targets)}))`,
  );
}
