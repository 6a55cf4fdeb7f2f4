/** ISO-8601 UTC with milliseconds: the one timestamp format stored in D1 (see src/db/schema.ts). */
export const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();

export const ageSeconds = (iso: string | null | undefined, now: number = Date.now()): number | null =>
  iso ? Math.max(0, Math.floor((now - Date.parse(iso)) / 1000)) : null;
