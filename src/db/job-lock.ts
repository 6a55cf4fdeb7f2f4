import { and, eq, lte, sql } from "drizzle-orm";
import type { Db } from "./client";
import { jobLocks } from "./schema";

/**
 * One writer for a job (the Helius sync), through a `job_locks` row. D1 runs statements one at a time,
 * so the conditional upsert below is atomic: it takes a free name, or replaces a holder whose lease
 * expired (a run that died), and leaves a live holder alone. Returns the holder id, or null when busy.
 */
export async function acquireJobLock(db: Db, name: string, leaseMs: number, now = Date.now()): Promise<string | null> {
  const holder = crypto.randomUUID();
  const nowText = new Date(now).toISOString();
  const row = await db
    .insert(jobLocks)
    .values({ name, holder, expires_at: new Date(now + leaseMs).toISOString() })
    .onConflictDoUpdate({
      target: jobLocks.name,
      set: { holder: sql`excluded.holder`, expires_at: sql`excluded.expires_at` },
      setWhere: lte(jobLocks.expires_at, nowText),
    })
    .returning({ holder: jobLocks.holder })
    .get();
  return row?.holder === holder ? holder : null;
}

/** Releases the lock if this run still holds it (an expired lease may have passed to another run). */
export async function releaseJobLock(db: Db, name: string, holder: string): Promise<void> {
  await db.delete(jobLocks).where(and(eq(jobLocks.name, name), eq(jobLocks.holder, holder)));
}
