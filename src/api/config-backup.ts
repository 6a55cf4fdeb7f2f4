import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { getDb } from "../db/client";
import { applyBackup, positionsByStrategy, readBackup } from "../db/config-backup";
import { configConsistencyProblems, EditableConfigSchema } from "../domain/config";
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupDiff,
  backupProblems,
  type ConfigBackup,
  diffBackup,
  isEmptyDiff,
} from "../domain/config-backup";
import { nextVersion } from "../domain/config-change";
import { StrategyOverrideSchema } from "../domain/exit-strategy";
import { ApiError, errorBody } from "../lib/errors";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { bearerSecurity, errorResponses, jsonContent, queryBool } from "./common";
import { CONFIG_EXAMPLE } from "./config";
import { liveKeyState } from "./live-readiness";
import { createRouter } from "./router";
import { SolanaAddress, DEFAULTS as WALLET_DEFAULTS, walletFields } from "./wallets";

const IMPORT_MAX_BYTES = 1024 * 1024;

const { exit_strategy_id: _id, ...walletSettings } = walletFields;

const BackupStrategySchema = StrategyOverrideSchema.required()
  .extend({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(1000).nullable(),
    is_default: z.boolean(),
  })
  .strict();

const BackupWalletSchema = z
  .object({
    address: SolanaAddress,
    exit_strategy: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .openapi({ description: "Name of its exit strategy in this document (null: none assigned)" }),
    ...walletSettings,
  })
  .strict();

// Every part is strict: a misspelt field is a listed problem, never silently dropped from a restore.
const ConfigBackupSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    version: z.literal(BACKUP_VERSION).openapi({ description: "Document version; this build reads version 1" }),
    exported_at: z.string().max(40),
    config: EditableConfigSchema.strict(),
    exit_strategies: z.array(BackupStrategySchema).min(1).max(200),
    wallets: z.array(BackupWalletSchema).max(800),
  })
  .strict()
  .openapi("ConfigBackup");

const FieldChangeSchema = z.object({ field: z.string(), from: z.unknown(), to: z.unknown() });
const DiffSchema = z
  .object({
    config: z.array(FieldChangeSchema),
    exit_strategies: z.object({
      added: z.array(z.string()),
      changed: z.array(z.object({ name: z.string(), changes: z.array(FieldChangeSchema) })),
      removed: z.array(z.string()),
    }),
    wallets: z.object({
      added: z.array(z.string()),
      changed: z.array(z.object({ address: z.string(), changes: z.array(FieldChangeSchema) })),
      deactivated: z.array(z.string()),
    }),
  })
  .openapi("ConfigImportDiff");

const ImportResultSchema = z
  .object({
    dry_run: z.boolean(),
    applied: z.boolean(),
    changes: DiffSchema,
  })
  .openapi("ConfigImportResult");

const exportRoute = createRoute({
  method: "get",
  path: "/config/export",
  tags: ["config"],
  summary: "Backup: the config, the exit-strategy catalog and the watchlist settings as one versioned document",
  security: bearerSecurity,
  responses: { 200: jsonContent(ConfigBackupSchema, "The backup document"), ...errorResponses() },
});

const importRoute = createRoute({
  method: "post",
  path: "/config/import",
  tags: ["config"],
  summary:
    "Restore a backup: validated whole first, applied atomically (or refused listing every problem), recorded in the config history. Wallets missing from it are deactivated, never deleted; strategies missing from it are removed.",
  security: bearerSecurity,
  request: {
    query: z.object({
      dry_run: queryBool.optional().openapi({ description: "true: only show what would change" }),
    }),
    body: {
      content: {
        "application/json": {
          schema: ConfigBackupSchema,
          example: {
            format: BACKUP_FORMAT,
            version: BACKUP_VERSION,
            exported_at: "2026-11-21T10:09:28.123Z",
            config: CONFIG_EXAMPLE,
            exit_strategies: [
              {
                name: "Default",
                description: "The seeded default",
                stop_loss_percent: 50,
                trailing_stop_percent: 20,
                trailing_activation_percent: 50,
                scaling_levels: [{ multiple: 2, sell_percent: 50 }],
                mirror_exit_enabled: true,
                max_hold_minutes: 1440,
                take_profit_table: [],
                is_default: true,
              },
            ],
            wallets: [
              // A backup carries every setting, built from the wallet defaults (null = the global config applies).
              {
                address: "7YygHaahdKVNtbu9GyFRnnBgf7hKzC76hnuHHfxCKRij",
                exit_strategy: "Default",
                ...WALLET_DEFAULTS,
                label: "alpha",
              },
            ],
          },
        },
      },
      required: true,
    },
  },
  responses: {
    200: jsonContent(ImportResultSchema, "What changed (or would change)"),
    ...errorResponses(400, 409, 413, 422),
  },
});

const MAX_ATTEMPTS = 3;
// D1 counts every statement of a batch against the per-invocation query limit (1000 on paid plans).
const MAX_BATCH_STATEMENTS = 900;
const batchSize = (d: BackupDiff) =>
  4 +
  d.exit_strategies.added.length +
  d.exit_strategies.changed.length +
  d.exit_strategies.removed.length +
  d.wallets.added.length +
  d.wallets.changed.length +
  d.wallets.deactivated.length;

export const configBackupRouter = createRouter();
configBackupRouter.use(
  "/config/import",
  bodyLimit({
    maxSize: IMPORT_MAX_BYTES,
    onError: (c) => c.json(errorBody("PayloadTooLarge", `body exceeds ${IMPORT_MAX_BYTES} bytes`), 413),
  }),
);
configBackupRouter
  .openapi(exportRoute, async (c) => {
    const { doc } = await readBackup(getDb(c.env.DB), nowIso());
    return c.json(doc, 200);
  })
  .openapi(
    importRoute,
    async (c) => {
      const next = c.req.valid("json") as ConfigBackup;
      const dryRun = c.req.valid("query").dry_run === true;
      const db = getDb(c.env.DB);
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const { doc: current, version } = await readBackup(db, nowIso());
        const problems = backupProblems(current, next, {
          configProblems: configConsistencyProblems(next.config),
          liveKey: await liveKeyState(c.env),
          positionsByStrategy: await positionsByStrategy(db),
        });
        if (problems.length)
          throw new ApiError("ValidationError", `${problems.length} problem(s): ${problems.join("; ")}`);
        const changes: BackupDiff = diffBackup(current, next);
        const statements = batchSize(changes);
        if (statements > MAX_BATCH_STATEMENTS)
          throw new ApiError(
            "RuleRefused",
            `the import needs ${statements} statements, more than the ${MAX_BATCH_STATEMENTS} one atomic D1 batch may hold; split it (e.g. the watchlist in parts)`,
          );
        if (dryRun || isEmptyDiff(changes)) return c.json({ dry_run: dryRun, applied: false, changes }, 200);
        const applied = await applyBackup(c.env.DB, {
          current,
          next,
          diff: changes,
          expectedVersion: version,
          newVersion: nextVersion(version, Date.now()),
        });
        if (applied) {
          log.info("config_imported", {
            config_fields: changes.config.length,
            strategies: changes.exit_strategies,
            wallets_added: changes.wallets.added.length,
            wallets_changed: changes.wallets.changed.length,
            wallets_deactivated: changes.wallets.deactivated.length,
          });
          return c.json({ dry_run: false, applied: true, changes }, 200);
        }
      }
      throw new ApiError("Conflict", "config was changed concurrently by another request; retry the import");
    },
    // This route lists every problem of the document (the shared hook shows the first five).
    (result): undefined => {
      if (!result.success) {
        const issues = result.error.issues.map(
          (i) => `${i.path.length ? i.path.map(String).join(".") : "body"}: ${i.message}`,
        );
        throw new ApiError("ValidationError", `${issues.length} problem(s): ${issues.join("; ")}`);
      }
      return undefined;
    },
  );
