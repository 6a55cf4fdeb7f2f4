import { asc, count, eq } from "drizzle-orm";
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupDiff,
  type ConfigBackup,
  diffFieldNames,
  STRATEGY_RULE_FIELDS,
  WALLET_SETTING_FIELDS,
} from "../domain/config-backup";
import { EDITABLE_CONFIG_FIELDS, editableOf } from "../domain/config-change";
import { rulesFromRow } from "../domain/exit-strategy";
import type { Db } from "./client";
import { loadConfig } from "./config-store";
import { exitStrategies, positions, wallets } from "./schema";

/** The current state as a backup document, in a stable order (strategies by name, wallets by address). */
export async function readBackup(db: Db, now: string): Promise<{ doc: ConfigBackup; version: string }> {
  const [cfg, strategies, ws] = await Promise.all([
    loadConfig(db),
    db.select().from(exitStrategies).orderBy(asc(exitStrategies.name)).all(),
    db.select().from(wallets).orderBy(asc(wallets.address)).all(),
  ]);
  const nameOf = new Map(strategies.map((s) => [s.id, s.name]));
  const doc: ConfigBackup = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    exported_at: now,
    config: editableOf(cfg),
    exit_strategies: strategies.map((s) => ({
      name: s.name,
      description: s.description,
      is_default: s.is_default,
      ...rulesFromRow(s),
    })),
    wallets: ws.map((w) => ({
      address: w.address,
      exit_strategy: w.exit_strategy_id === null ? null : (nameOf.get(w.exit_strategy_id) ?? null),
      ...(Object.fromEntries(WALLET_SETTING_FIELDS.map((f) => [f, w[f]])) as Omit<
        ConfigBackup["wallets"][number],
        "address" | "exit_strategy"
      >),
    })),
  };
  return { doc, version: cfg.updated_at };
}

/** Positions (any status) per strategy name: a strategy with history cannot be removed. */
export async function positionsByStrategy(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .select({ name: exitStrategies.name, n: count(positions.id) })
    .from(exitStrategies)
    .innerJoin(positions, eq(positions.exit_strategy_id, exitStrategies.id))
    .groupBy(exitStrategies.name)
    .all();
  return new Map(rows.map((r) => [r.name, r.n]));
}

const col = (v: unknown) => (typeof v === "boolean" ? (v ? 1 : 0) : Array.isArray(v) ? JSON.stringify(v) : v);

/**
 * Applies an import as one D1 batch (atomic: all of it or none of it). The config row is the version
 * guard: its UPDATE only matches the version the import was decided on, and the statement after it
 * fails the whole batch when it did not (json() of a non-JSON text raises), so a concurrent config
 * change turns the import into a Conflict instead of a half-applied restore. Column names come from
 * constant lists, never from the document. Returns false on that conflict.
 */
export async function applyBackup(
  d1: D1Database,
  plan: {
    current: ConfigBackup;
    next: ConfigBackup;
    diff: BackupDiff;
    expectedVersion: string;
    newVersion: string;
  },
): Promise<boolean> {
  const { current, next, diff, newVersion: now } = plan;
  const stmts: D1PreparedStatement[] = [];
  stmts.push(
    d1
      .prepare(
        `UPDATE config SET ${EDITABLE_CONFIG_FIELDS.map((k) => `${k} = ?`).join(", ")}, updated_at = ?
         WHERE id = 1 AND updated_at = ?`,
      )
      .bind(...EDITABLE_CONFIG_FIELDS.map((k) => col(next.config[k])), now, plan.expectedVersion),
    d1.prepare("SELECT CASE WHEN changes() = 1 THEN 1 ELSE json('config_import_conflict') END"),
    d1
      .prepare(
        `INSERT INTO config_history (changed_fields, previous_values, new_values, changed_by, created_at)
         VALUES (?, ?, ?, 'import', ?)`,
      )
      .bind(JSON.stringify(diffFieldNames(diff)), JSON.stringify(current), JSON.stringify(next), now),
  );

  // The default moves first: the partial unique index allows at most one is_default = 1 at any moment.
  const newDefault = next.exit_strategies.find((s) => s.is_default)?.name;
  const oldDefault = current.exit_strategies.find((s) => s.is_default)?.name;
  if (newDefault !== oldDefault)
    stmts.push(d1.prepare("UPDATE exit_strategies SET is_default = 0, updated_at = ? WHERE is_default = 1").bind(now));
  const touched = new Set([...diff.exit_strategies.added, ...diff.exit_strategies.changed.map((c) => c.name)]);
  const sCols = ["name", "description", "is_default", ...STRATEGY_RULE_FIELDS] as const;
  for (const s of next.exit_strategies) {
    if (!touched.has(s.name)) continue;
    stmts.push(
      d1
        .prepare(
          `INSERT INTO exit_strategies (${sCols.join(", ")}, created_at, updated_at)
           VALUES (${sCols.map(() => "?").join(", ")}, ?, ?)
           ON CONFLICT (name) DO UPDATE SET ${sCols
             .filter((c) => c !== "name")
             .map((c) => `${c} = excluded.${c}`)
             .join(", ")}, updated_at = excluded.updated_at`,
        )
        .bind(...sCols.map((c) => col(s[c])), now, now),
    );
  }

  const curW = new Map(current.wallets.map((w) => [w.address, w]));
  const wTouched = new Set([...diff.wallets.added, ...diff.wallets.changed.map((c) => c.address)]);
  const wCols = WALLET_SETTING_FIELDS;
  for (const w of next.wallets) {
    if (!wTouched.has(w.address)) continue;
    const was = curW.get(w.address);
    // As the wallets API does: a (re-)activated or deactivated wallet goes back to Helius sync `pending`.
    const activityChanged = !was || was.is_active !== w.is_active;
    const deactivatedAt = activityChanged ? (w.is_active ? null : now) : undefined;
    stmts.push(
      d1
        .prepare(
          `INSERT INTO wallets (address, ${wCols.join(", ")}, exit_strategy_id, helius_sync_status, deactivated_at,
                                created_at, updated_at)
           VALUES (?, ${wCols.map(() => "?").join(", ")}, (SELECT id FROM exit_strategies WHERE name = ?), 'pending', ?, ?, ?)
           ON CONFLICT (address) DO UPDATE SET ${wCols.map((c) => `${c} = excluded.${c}`).join(", ")},
             exit_strategy_id = excluded.exit_strategy_id,
             ${activityChanged ? "helius_sync_status = 'pending', helius_sync_error = NULL, deactivated_at = excluded.deactivated_at," : ""}
             updated_at = excluded.updated_at`,
        )
        .bind(w.address, ...wCols.map((c) => col(w[c])), w.exit_strategy, deactivatedAt ?? null, now, now),
    );
  }
  for (const address of diff.wallets.deactivated)
    stmts.push(
      d1
        .prepare(
          `UPDATE wallets SET is_active = 0, deactivated_at = ?, helius_sync_status = 'pending', helius_sync_error = NULL,
             updated_at = ? WHERE address = ? AND is_active = 1`,
        )
        .bind(now, now, address),
    );
  // Last: no wallet points at a removed strategy any more (validation refused the import otherwise).
  for (const name of diff.exit_strategies.removed)
    stmts.push(d1.prepare("DELETE FROM exit_strategies WHERE name = ?").bind(name));

  try {
    await d1.batch(stmts);
    return true;
  } catch (err) {
    if (err instanceof Error && /malformed JSON/i.test(err.message)) return false;
    throw err;
  }
}
