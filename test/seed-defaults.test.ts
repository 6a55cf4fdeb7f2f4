import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const SEEDED_DEFAULT = "Balanced: 25% stop, 15% trail after +50%, sell 50% at 2x and 25% at 3x, mirror the leader.";
const dataMigration = () => {
  const m = env.TEST_MIGRATIONS.find((x) => x.name.endsWith("seed-fidelity_data.sql"));
  if (!m) throw new Error("the seed-fidelity data migration is missing");
  return m;
};
/** Re-runs the seed-fidelity data migration through the real migration runner, on the rows as they are now. */
const rerunDataMigration = async () => {
  await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?").bind(dataMigration().name).run();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
};
const strategy = (name: string) =>
  env.DB.prepare("SELECT * FROM exit_strategies WHERE name = ?").bind(name).first<Record<string, any>>();

describe("seed defaults (issue 16)", () => {
  it("a fresh install's Default exit strategy has the seed's 20 % stop-loss", async () => {
    const d = await strategy("Default");
    expect(d?.stop_loss_percent).toBe(20);
    expect(d?.description).toContain("20% stop");
  });

  it("the migration moves a Default still as seeded from 25 % to 20 %", async () => {
    await env.DB.prepare(
      "UPDATE exit_strategies SET stop_loss_percent = 25, description = ?, updated_at = created_at WHERE name = 'Default'",
    )
      .bind(SEEDED_DEFAULT)
      .run();
    await rerunDataMigration();
    expect((await strategy("Default"))?.stop_loss_percent).toBe(20);
  });

  it("the migration leaves an operator-edited Default untouched, even one edited back to 25 %", async () => {
    // What PUT /api/v1/exit-strategies/{id} leaves behind: same values, a later updated_at.
    await env.DB.prepare(
      "UPDATE exit_strategies SET stop_loss_percent = 25, description = ?, updated_at = '2099-01-01T00:00:00.000Z' WHERE name = 'Default'",
    )
      .bind(SEEDED_DEFAULT)
      .run();
    const before = await strategy("Default");
    await rerunDataMigration();
    expect(await strategy("Default")).toEqual(before);
  });

  it("the migration keeps an existing percent_capital choice sizing as before, under risk_percent", async () => {
    const w = await env.DB.prepare(
      "INSERT INTO wallets (address, position_sizing_mode) VALUES ('SeedDefaultsWa11et1111111111111111111111111', 'percent_capital') RETURNING id",
    ).first<{ id: number }>();
    await env.DB.prepare("UPDATE config SET position_sizing_mode = 'percent_capital' WHERE id = 1").run();
    await rerunDataMigration();
    const cfg = await env.DB.prepare("SELECT position_sizing_mode FROM config WHERE id = 1").first<any>();
    const wallet = await env.DB.prepare("SELECT position_sizing_mode FROM wallets WHERE id = ?")
      .bind(w?.id)
      .first<any>();
    expect(cfg.position_sizing_mode).toBe("risk_percent");
    expect(wallet.position_sizing_mode).toBe("risk_percent");
  });
});
