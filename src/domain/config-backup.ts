import type { EditableConfig } from "./config";
import { changedConfigFields } from "./config-change";
import { type StrategyRules, strategyProblems } from "./exit-strategy";
import { type LiveKeyState, liveSwitchRefusal } from "./live-guard";
import { walletTransition } from "./wallet-rules";

/**
 * Config backup and restore (the seed's "JSON backup on every change"): one versioned document holding
 * the editable config, the exit-strategy catalog and the watchlist's settings. Strategies are keyed by
 * name and wallets by address (ids differ between installs); a wallet names its strategy. Pure: the
 * route reads the current state, these functions decide, the store applies the plan in one batch.
 */
export const BACKUP_FORMAT = "walltrack-config";
export const BACKUP_VERSION = 1;

export const WALLET_SETTING_FIELDS = [
  "label",
  "mode",
  "is_active",
  "capital_allocation_percent",
  "discovery_source",
  "discovery_date",
  "discovery_notes",
  "initial_win_rate_percent",
  "initial_trades_observed",
  "min_leader_trade_sol",
  "max_leader_trade_sol",
  "allow_rebuys",
  "rebuy_size_percent",
  "mint_cooldown_seconds",
  "position_sizing_mode",
  "fixed_position_usd",
  "leader_ratio",
] as const;
type WalletSettingField = (typeof WALLET_SETTING_FIELDS)[number];

export const STRATEGY_RULE_FIELDS = [
  "stop_loss_percent",
  "trailing_stop_percent",
  "trailing_activation_percent",
  "scaling_levels",
  "mirror_exit_enabled",
  "max_hold_minutes",
  "take_profit_table",
] as const satisfies readonly (keyof StrategyRules)[];

export interface BackupStrategy extends StrategyRules {
  name: string;
  description: string | null;
  is_default: boolean;
}

export type BackupWallet = { address: string; exit_strategy: string | null } & {
  [K in WalletSettingField]: K extends "mode"
    ? "simulation" | "live"
    : K extends "is_active"
      ? boolean
      : K extends "allow_rebuys"
        ? boolean | null
        : K extends "position_sizing_mode"
          ? EditableConfig["position_sizing_mode"] | null
          : K extends "label" | "discovery_source" | "discovery_date" | "discovery_notes"
            ? string | null
            : number | null;
};

export interface ConfigBackup {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  exported_at: string;
  config: EditableConfig;
  exit_strategies: BackupStrategy[];
  wallets: BackupWallet[];
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface BackupDiff {
  config: FieldChange[];
  exit_strategies: { added: string[]; changed: { name: string; changes: FieldChange[] }[]; removed: string[] };
  wallets: { added: string[]; changed: { address: string; changes: FieldChange[] }[]; deactivated: string[] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const fieldChanges = <T extends object>(a: T, b: T, fields: readonly (keyof T & string)[]): FieldChange[] =>
  fields.filter((f) => !same(a[f], b[f])).map((f) => ({ field: f, from: a[f], to: b[f] }));

const STRATEGY_FIELDS = ["description", "is_default", ...STRATEGY_RULE_FIELDS] as const;
const WALLET_FIELDS = ["exit_strategy", ...WALLET_SETTING_FIELDS] as const;

/** What importing `next` over `current` would change. Wallets missing from `next` are deactivated, never deleted. */
export function diffBackup(current: ConfigBackup, next: ConfigBackup): BackupDiff {
  const curS = new Map(current.exit_strategies.map((s) => [s.name, s]));
  const nextS = new Map(next.exit_strategies.map((s) => [s.name, s]));
  const curW = new Map(current.wallets.map((w) => [w.address, w]));
  const nextW = new Set(next.wallets.map((w) => w.address));
  const diff: BackupDiff = {
    config: changedConfigFields(current.config, next.config).map((f) => ({
      field: f,
      from: current.config[f],
      to: next.config[f],
    })),
    exit_strategies: { added: [], changed: [], removed: [] },
    wallets: { added: [], changed: [], deactivated: [] },
  };
  for (const s of next.exit_strategies) {
    const was = curS.get(s.name);
    if (!was) diff.exit_strategies.added.push(s.name);
    else {
      const changes = fieldChanges(was, s, STRATEGY_FIELDS);
      if (changes.length) diff.exit_strategies.changed.push({ name: s.name, changes });
    }
  }
  for (const s of current.exit_strategies) if (!nextS.has(s.name)) diff.exit_strategies.removed.push(s.name);
  for (const w of next.wallets) {
    const was = curW.get(w.address);
    if (!was) diff.wallets.added.push(w.address);
    else {
      const changes = fieldChanges(was, w, WALLET_FIELDS);
      if (changes.length) diff.wallets.changed.push({ address: w.address, changes });
    }
  }
  for (const w of current.wallets) if (!nextW.has(w.address) && w.is_active) diff.wallets.deactivated.push(w.address);
  return diff;
}

export const isEmptyDiff = (d: BackupDiff) =>
  d.config.length === 0 &&
  d.exit_strategies.added.length + d.exit_strategies.changed.length + d.exit_strategies.removed.length === 0 &&
  d.wallets.added.length + d.wallets.changed.length + d.wallets.deactivated.length === 0;

/** Names of what a diff touches, for the config history row's `changed_fields`. */
export function diffFieldNames(d: BackupDiff): string[] {
  return [
    ...d.config.map((c) => `config.${c.field}`),
    ...d.exit_strategies.added.map((n) => `exit_strategies.${n} (added)`),
    ...d.exit_strategies.changed.map((c) => `exit_strategies.${c.name}`),
    ...d.exit_strategies.removed.map((n) => `exit_strategies.${n} (removed)`),
    ...d.wallets.added.map((a) => `wallets.${a} (added)`),
    ...d.wallets.changed.map((c) => `wallets.${c.address}`),
    ...d.wallets.deactivated.map((a) => `wallets.${a} (deactivated)`),
  ];
}

export interface ImportContext {
  /** Configuration problems of the imported config (range checks passed; cross-field rules). */
  configProblems: string[];
  /** The trading key's state; the switch is the imported config's own `live_trading_enabled`. */
  liveKey: LiveKeyState;
  /** Positions (any status) per strategy name: such a strategy cannot be removed (their history keeps it). */
  positionsByStrategy: ReadonlyMap<string, number>;
}

/** Every reason the document cannot be applied as a whole (empty = it can). Range checks are zod's, before. */
export function backupProblems(current: ConfigBackup, next: ConfigBackup, ctx: ImportContext): string[] {
  const problems = ctx.configProblems.map((p) => `config.${p}`);
  const switchRefused = liveSwitchRefusal(
    current.config.live_trading_enabled,
    next.config.live_trading_enabled,
    ctx.liveKey,
  );
  if (switchRefused) problems.push(`config.${switchRefused}`);
  const names = new Map<string, number>();
  next.exit_strategies.forEach((s, i) => {
    if (names.has(s.name)) problems.push(`exit_strategies.${i}.name: "${s.name}" appears twice`);
    names.set(s.name, i);
    for (const p of strategyProblems(s)) problems.push(`exit_strategies.${i}.${p}`);
  });
  const defaults = next.exit_strategies.filter((s) => s.is_default).length;
  if (defaults !== 1) problems.push(`exit_strategies: exactly one strategy must be the default, found ${defaults}`);
  const removed = current.exit_strategies.filter((s) => !names.has(s.name)).map((s) => s.name);
  for (const name of removed) {
    const n = ctx.positionsByStrategy.get(name) ?? 0;
    if (n > 0) problems.push(`exit_strategies: "${name}" is used by ${n} position(s) and must stay in the document`);
  }
  const inDoc = new Set<string>();
  const curW = new Map(current.wallets.map((w) => [w.address, w]));
  next.wallets.forEach((w, i) => {
    if (inDoc.has(w.address)) problems.push(`wallets.${i}.address: ${w.address} appears twice`);
    inDoc.add(w.address);
    if (w.exit_strategy !== null && !names.has(w.exit_strategy))
      problems.push(`wallets.${i}.exit_strategy: no strategy named "${w.exit_strategy}" in the document`);
    if (
      w.min_leader_trade_sol != null &&
      w.max_leader_trade_sol != null &&
      w.min_leader_trade_sol > w.max_leader_trade_sol
    )
      problems.push(`wallets.${i}.min_leader_trade_sol: must not exceed max_leader_trade_sol`);
    const t = walletTransition(curW.get(w.address) ?? null, w, {
      live: { key: ctx.liveKey, switch_on: next.config.live_trading_enabled },
      now: "",
    });
    if (!t.ok) problems.push(`wallets.${i}.${t.reason}`);
  });
  // A wallet left out keeps its strategy: that strategy cannot be removed under it.
  for (const w of current.wallets)
    if (!inDoc.has(w.address) && w.exit_strategy !== null && removed.includes(w.exit_strategy))
      problems.push(
        `exit_strategies: "${w.exit_strategy}" is used by wallet ${w.address}, which is not in the document`,
      );
  return problems;
}
