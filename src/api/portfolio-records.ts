/**
 * Cache status of operator-written records (funding schedules, launch records). D1 is their source
 * of truth, not a copy of the chain, so they are never stale; `cached_at` is their latest change.
 */
export function recordsCache(times: readonly string[]) {
  const latest = times.reduce<string | null>((m, t) => (m === null || t > m ? t : m), null);
  return {
    cached_at: latest,
    cache_age_seconds: latest ? Math.max(0, Math.floor((Date.now() - Date.parse(latest)) / 1000)) : null,
    is_stale: false,
  };
}
