import type { EditableConfig } from "../domain/config";
import { EDITABLE_CONFIG_FIELDS } from "../domain/config-change";

const toColumn = (v: unknown) => (typeof v === "boolean" ? (v ? 1 : 0) : Array.isArray(v) ? JSON.stringify(v) : v);

/**
 * Applies an accepted config change and appends its history row in one atomic D1 batch.
 *
 * D1 has no interactive transactions, so the read → decide → write cycle is made safe by optimistic
 * concurrency: the UPDATE only matches if `updated_at` is still the version the change was decided on,
 * and the history INSERT only runs if that UPDATE changed the row (`changes() = 1`, same connection,
 * same batch). Returns false when another writer got there first; the caller re-reads and retries.
 */
export async function writeConfigChange(
  d1: D1Database,
  change: {
    expectedVersion: string;
    newVersion: string;
    previous: EditableConfig;
    next: EditableConfig;
    changed: string[];
    changedBy: string;
  },
): Promise<boolean> {
  // Column names come from the schema's own key list, never from the request.
  const setClause = EDITABLE_CONFIG_FIELDS.map((k) => `${k} = ?`).join(", ");
  const update = d1
    .prepare(`UPDATE config SET ${setClause}, updated_at = ? WHERE id = 1 AND updated_at = ?`)
    .bind(...EDITABLE_CONFIG_FIELDS.map((k) => toColumn(change.next[k])), change.newVersion, change.expectedVersion);
  const history = d1
    .prepare(
      `INSERT INTO config_history (changed_fields, previous_values, new_values, changed_by, created_at)
       SELECT ?, ?, ?, ?, ? WHERE changes() = 1`,
    )
    .bind(
      JSON.stringify(change.changed),
      JSON.stringify(change.previous),
      JSON.stringify(change.next),
      change.changedBy,
      change.newVersion,
    );
  const [updated] = await d1.batch([update, history]);
  // D1's meta.changes also counts the rows the hot-state trigger (migration i10-core_data) updated, so an
  // applied change reports 2; the guarded UPDATE itself changes one row or none, and the trigger fires only
  // when it changed one. (SQL's changes(), used by the history insert above, counts direct changes only.)
  return (updated?.meta.changes ?? 0) >= 1;
}
