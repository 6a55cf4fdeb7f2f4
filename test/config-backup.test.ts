import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { applyBackup, readBackup } from "../src/db/config-backup";
import { diffBackup } from "../src/domain/config-backup";
import { randomAddress } from "./helpers/addresses";
import { api, expectErrorShape } from "./helpers/api";

const count = async (table: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;
const exported = async () => {
  const res = await api("GET", "/api/v1/config/export");
  expect(res.status).toBe(200);
  return res.body;
};
/** The state a document describes, without its timestamp. */
const stateOf = (doc: Record<string, unknown>) => ({ ...doc, exported_at: undefined });
const strategyId = async (name: string) =>
  (await api("GET", "/api/v1/exit-strategies")).body.find((s: { name: string }) => s.name === name).id as number;

describe("config backup and restore (issue 16)", () => {
  it("exports the config, the catalog and the watchlist settings as one versioned document", async () => {
    const address = randomAddress();
    expect(
      (await api("POST", "/api/v1/wallets", { address, label: "alpha", capital_allocation_percent: 10 })).status,
    ).toBe(201);
    const doc = await exported();
    expect(doc).toMatchObject({ format: "walltrack-config", version: 1 });
    expect(doc.config).toMatchObject({ safety_threshold: 0.6, capital_allocation_percent: 5 });
    expect(doc.config).not.toHaveProperty("helius_webhook_id"); // sync state is not a setting
    expect(doc.exit_strategies.map((s: { name: string }) => s.name)).toEqual(["Aggressive", "Conservative", "Default"]);
    expect(doc.exit_strategies.find((s: { name: string }) => s.name === "Default")).toMatchObject({
      is_default: true,
      stop_loss_percent: 20,
      scaling_levels: [
        { multiple: 2, sell_percent: 50 },
        { multiple: 3, sell_percent: 25 },
      ],
    });
    expect(doc.wallets).toContainEqual(
      expect.objectContaining({ address, label: "alpha", exit_strategy: "Default", capital_allocation_percent: 10 }),
    );
  });

  it("export → edit → import of the export round-trips to the identical state, recorded in the config history", async () => {
    const before = await exported();
    const w = before.wallets[0];
    // Edits of every kind after the backup: config, a strategy, a new strategy, a wallet's settings.
    expect((await api("PATCH", "/api/v1/config", { safety_threshold: 0.8, slippage_bps: 500 })).status).toBe(200);
    const def = await strategyId("Default");
    expect((await api("PATCH", `/api/v1/exit-strategies/${def}`, { stop_loss_percent: 33 })).status).toBe(200);
    expect(
      (await api("POST", "/api/v1/exit-strategies", { name: "Scratch", stop_loss_percent: 5, is_default: true }))
        .status,
    ).toBe(201);
    expect(
      (
        await api("PATCH", `/api/v1/wallets/${w.address}`, {
          label: "renamed",
          exit_strategy_id: await strategyId("Aggressive"),
        })
      ).status,
    ).toBe(200);
    const edited = await exported();

    const dry = await api("POST", "/api/v1/config/import?dry_run=true", before);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, applied: false });
    expect(dry.body.changes.config).toEqual([
      { field: "safety_threshold", from: 0.8, to: 0.6 },
      { field: "slippage_bps", from: 500, to: 300 },
    ]);
    expect(dry.body.changes.exit_strategies.removed).toEqual(["Scratch"]);
    expect(dry.body.changes.exit_strategies.changed.map((c: { name: string }) => c.name)).toEqual(["Default"]);
    expect(dry.body.changes.wallets.changed).toEqual([
      {
        address: w.address,
        changes: [
          { field: "exit_strategy", from: "Aggressive", to: "Default" },
          { field: "label", from: "renamed", to: "alpha" },
        ],
      },
    ]);
    expect(stateOf(await exported())).toEqual(stateOf(edited)); // a dry run changes nothing

    const historyBefore = await count("config_history");
    const res = await api("POST", "/api/v1/config/import", before);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dry_run: false, applied: true });
    expect(stateOf(await exported())).toEqual(stateOf(before));
    expect(await count("config_history")).toBe(historyBefore + 1);
    const hist = (await api("GET", "/api/v1/config/history?page=1&page_size=1")).body.items[0];
    expect(hist.changed_by).toBe("import");
    expect(hist.changed_fields).toEqual(
      expect.arrayContaining(["config.safety_threshold", "exit_strategies.Scratch (removed)", `wallets.${w.address}`]),
    );
    expect(stateOf(hist.new_values)).toEqual(stateOf(before));
    expect(stateOf(hist.previous_values)).toEqual(stateOf(edited));

    // Importing the same state again is a no-op: nothing applied, no history row.
    const again = await api("POST", "/api/v1/config/import", before);
    expect(again.body).toMatchObject({ applied: false, changes: { config: [] } });
    expect(await count("config_history")).toBe(historyBefore + 1);
  });

  it("a wallet missing from the document is deactivated (history kept), a new one is added pending sync", async () => {
    const doc = await exported();
    const extra = randomAddress();
    expect((await api("POST", "/api/v1/wallets", { address: extra })).status).toBe(201);
    const added = randomAddress();
    const wallets = [...doc.wallets, { ...doc.wallets[0], address: added, label: "from backup" }];
    const res = await api("POST", "/api/v1/config/import", { ...doc, wallets });
    expect(res.status).toBe(200);
    expect(res.body.changes.wallets).toMatchObject({ added: [added], deactivated: [extra] });
    const gone = (await api("GET", `/api/v1/wallets/${extra}`)).body;
    expect(gone).toMatchObject({ is_active: false, helius_sync_status: "pending" });
    expect(gone.deactivated_at).toBeTruthy();
    expect((await api("GET", `/api/v1/wallets/${added}`)).body).toMatchObject({
      label: "from backup",
      is_active: true,
      helius_sync_status: "pending",
    });
  });

  it("a bad import changes nothing and lists every problem of the document", async () => {
    const doc = await exported();
    const state = stateOf(doc);
    const historyBefore = await count("config_history");
    const shapes = {
      ...doc,
      config: { ...doc.config, safety_threshold: 5, slippage_bps: -1, typo_field: 1 },
      exit_strategies: [{ ...doc.exit_strategies[0], stop_loss_percent: 500 }, ...doc.exit_strategies.slice(1)],
      wallets: [
        { ...doc.wallets[0], address: "not-an-address" },
        { ...doc.wallets[0], mode: "yolo" },
      ],
      extra: true,
    };
    const r1 = await api("POST", "/api/v1/config/import", shapes);
    expect(r1.status).toBe(400);
    expectErrorShape(r1.body, "ValidationError");
    for (const field of [
      "config.safety_threshold",
      "config.slippage_bps",
      "typo_field",
      "exit_strategies.0.stop_loss_percent",
      "wallets.0.address",
      "wallets.1.mode",
      "extra",
    ])
      expect(r1.body.detail).toContain(field);

    const rules = {
      ...doc,
      config: { ...doc.config, min_position_usd: 500, max_position_usd: 100 },
      exit_strategies: [
        ...doc.exit_strategies.map((s: { is_default: boolean }) => ({ ...s, is_default: true })),
        { ...doc.exit_strategies[0] },
      ],
      wallets: [{ ...doc.wallets[0], exit_strategy: "Nope" }],
    };
    const r2 = await api("POST", "/api/v1/config/import", rules);
    expect(r2.status).toBe(400);
    expectErrorShape(r2.body, "ValidationError");
    expect(r2.body.detail).toContain("config.min_position_usd");
    expect(r2.body.detail).toContain("exactly one strategy must be the default");
    expect(r2.body.detail).toMatch(/exit_strategies\.3\.name: .* appears twice/);
    expect(r2.body.detail).toContain('no strategy named "Nope"');

    for (const body of [{ ...doc, version: 2 }, { ...doc, format: "other" }, "not json"]) {
      const r = await api("POST", "/api/v1/config/import", body, { "content-type": "application/json" });
      expect(r.status).toBe(400);
      expectErrorShape(r.body);
    }
    expect(stateOf(await exported())).toEqual(state);
    expect(await count("config_history")).toBe(historyBefore);
  });

  it("a concurrent config change between decision and write applies none of the import", async () => {
    const db = getDb(env.DB);
    const { doc: current, version } = await readBackup(db, new Date().toISOString());
    const next = {
      ...current,
      config: { ...current.config, safety_threshold: 0.9 },
      exit_strategies: current.exit_strategies.map((s) =>
        s.name === "Aggressive" ? { ...s, stop_loss_percent: 1 } : s,
      ),
    };
    // Someone else saves the config after the import read it: the import's version is stale.
    expect((await api("PATCH", "/api/v1/config", { slippage_bps: 777 })).status).toBe(200);
    const historyBefore = await count("config_history");
    const applied = await applyBackup(env.DB, {
      current,
      next,
      diff: diffBackup(current, next),
      expectedVersion: version,
      newVersion: new Date(Date.parse(version) + 1).toISOString(),
    });
    expect(applied).toBe(false);
    const after = (await readBackup(db, "")).doc;
    expect(after.config).toMatchObject({ slippage_bps: 777, safety_threshold: current.config.safety_threshold });
    expect(after.exit_strategies.find((s) => s.name === "Aggressive")?.stop_loss_percent).toBe(40);
    expect(await count("config_history")).toBe(historyBefore);
  });

  it("refuses (422, nothing written) an import too large for one atomic batch", async () => {
    const doc = await exported();
    const state = stateOf(doc);
    const wallets = Array.from({ length: 800 }, () => ({ ...doc.wallets[0], address: randomAddress() }));
    const strategies = Array.from({ length: 100 }, (_, i) => ({ ...doc.exit_strategies[0], name: `Bulk ${i}` }));
    const res = await api("POST", "/api/v1/config/import", {
      ...doc,
      wallets,
      exit_strategies: [...doc.exit_strategies, ...strategies],
    });
    expect(res.status).toBe(422);
    expectErrorShape(res.body, "RuleRefused");
    expect(res.body.detail).toContain("one atomic D1 batch");
    expect(stateOf(await exported())).toEqual(state);
  });

  it("answers 401 without the operator token", async () => {
    expect((await api("GET", "/api/v1/config/export", undefined, { authorization: "" })).status).toBe(401);
    expect((await api("POST", "/api/v1/config/import", {}, { authorization: "" })).status).toBe(401);
  });
});
