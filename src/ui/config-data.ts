import { desc } from "drizzle-orm";
import type { Db } from "../db/client";
import { configHistory } from "../db/schema";

/** One accepted config change as the history shows it: only the fields that changed, before → after. */
export interface ConfigHistoryView {
  id: number;
  created_at: string;
  changed_by: string;
  changes: { field: string; before: unknown; after: unknown }[];
}

const parse = <T>(s: string, fallback: T): T => {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};

export async function configHistoryData(db: Db, limit = 30): Promise<ConfigHistoryView[]> {
  const rows = await db.select().from(configHistory).orderBy(desc(configHistory.id)).limit(limit).all();
  return rows.map((r) => {
    const fields = parse<string[]>(r.changed_fields, []);
    const before = parse<Record<string, unknown>>(r.previous_values, {});
    const after = parse<Record<string, unknown>>(r.new_values, {});
    return {
      id: r.id,
      created_at: r.created_at,
      changed_by: r.changed_by,
      changes: fields.map((field) => ({ field, before: before[field], after: after[field] })),
    };
  });
}
