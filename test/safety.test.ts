import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import rugReport from "../../shared/fixtures/rugcheck-report.captured.json";
import { getDb } from "../src/db/client";
import { loadConfig } from "../src/db/config-store";
import { assessTokenSafety, inputsFromUpstream } from "../src/db/token-safety";
import type { Config } from "../src/domain/config";
import {
  extensionFlags,
  highestRiskLevel,
  type SafetyInputs,
  safetyLookupConfig,
  scoreSafety,
} from "../src/domain/safety";
import { RugcheckReportSchema, top10HolderPercent } from "../src/upstream/rugcheck";
import { fake } from "./helpers/fake";
import { addr } from "./helpers/helius";

const cfg = {
  safety_threshold: 0.6,
  min_liquidity_usd: 50_000,
  max_top10_holder_percent: 80,
  min_token_age_hours: 24,
  max_transfer_fee_bps: 100,
};
const clean: SafetyInputs = {
  liquidity_usd: 100_000,
  top10_holder_percent: 30,
  token_age_hours: 48,
  mint_authority: null,
  freeze_authority: null,
  is_rugged: false,
  rugcheck_risk_level: "none",
  danger_risks: [],
  transfer_fee_bps: 0,
  extension_flags: [],
};

describe("scoreSafety (pure)", () => {
  it("a clean token scores 1 and passes", () => {
    expect(scoreSafety(clean, cfg)).toEqual({
      score: 1,
      passed: true,
      checks: { liquidity: true, holders: true, contract: true, age: true },
      contract_flags: [],
    });
  });

  it.each([
    ["liquidity exactly at the minimum passes", { liquidity_usd: 50_000 }, "liquidity", true],
    ["liquidity just below fails", { liquidity_usd: 49_999.99 }, "liquidity", false],
    ["unknown liquidity fails", { liquidity_usd: null }, "liquidity", false],
    ["top-10 just below the cap passes", { top10_holder_percent: 79.99 }, "holders", true],
    ["top-10 exactly at the cap fails (must be below)", { top10_holder_percent: 80 }, "holders", false],
    ["age exactly at the minimum passes", { token_age_hours: 24 }, "age", true],
    ["age just below fails", { token_age_hours: 23.99 }, "age", false],
    ["mint authority fails the contract", { mint_authority: "Auth111" }, "contract", false],
    ["freeze authority fails the contract", { freeze_authority: "Auth111" }, "contract", false],
    ["rugged fails the contract", { is_rugged: true }, "contract", false],
    [
      "a danger risk fails the contract",
      { rugcheck_risk_level: "danger", danger_risks: ["Low Liquidity"] },
      "contract",
      false,
    ],
    ["a warn risk does not", { rugcheck_risk_level: "warn" }, "contract", true],
    ["permanent delegate fails", { extension_flags: ["permanent_delegate"] }, "contract", false],
    ["transfer hook fails", { extension_flags: ["transfer_hook"] }, "contract", false],
    ["non-transferable fails", { extension_flags: ["non_transferable"] }, "contract", false],
    ["transfer fee at the cap passes", { transfer_fee_bps: 100 }, "contract", true],
    ["transfer fee above the cap fails", { transfer_fee_bps: 101 }, "contract", false],
    ["contract unknown (no RugCheck) fails", { rugcheck_risk_level: null }, "contract", false],
  ] as const)("%s", (_name, patch, check, want) => {
    const r = scoreSafety({ ...clean, ...patch } as SafetyInputs, cfg);
    expect(r.checks[check]).toBe(want);
    expect(r.score).toBe(want ? 1 : 0.75);
  });

  it("passes at score ≥ threshold: 0.75 passes 0.6 and 0.75, fails 0.76; 0.5 fails 0.6", () => {
    const threeOfFour = { ...clean, liquidity_usd: 1 };
    expect(scoreSafety(threeOfFour, cfg).passed).toBe(true);
    expect(scoreSafety(threeOfFour, { ...cfg, safety_threshold: 0.75 }).passed).toBe(true);
    expect(scoreSafety(threeOfFour, { ...cfg, safety_threshold: 0.76 }).passed).toBe(false);
    const half = scoreSafety({ ...clean, liquidity_usd: 1, token_age_hours: 1 }, cfg);
    expect(half).toMatchObject({ score: 0.5, passed: false });
  });

  it("names the contract flags", () => {
    const r = scoreSafety(
      { ...clean, mint_authority: "A", is_rugged: true, transfer_fee_bps: 500, extension_flags: ["transfer_hook"] },
      cfg,
    );
    expect(r.contract_flags).toEqual(["mint_authority", "rugged", "transfer_hook", "transfer_fee_above_cap"]);
  });

  it("a lookup is sent only the config fields it reads, and scores the same with them as with the whole config", async () => {
    const full = await loadConfig(getDb(env.DB));
    const sent = safetyLookupConfig(full);
    expect(Object.keys(sent).sort()).toEqual(
      [
        "max_top10_holder_percent",
        "max_transfer_fee_bps",
        "min_liquidity_usd",
        "min_token_age_hours",
        "safety_threshold",
        "token_cache_ttl_seconds",
      ].sort(),
    );
    const risky = { ...clean, liquidity_usd: 10, mint_authority: "A" };
    for (const i of [clean, risky]) expect(scoreSafety(i, sent)).toEqual(scoreSafety(i, full));
  });

  it("reads Token-2022 extension names in either case style and the highest risk level", () => {
    expect(
      extensionFlags({ permanentDelegate: {}, transfer_hook: {}, NonTransferable: {}, metadataPointer: {} }),
    ).toEqual(["permanent_delegate", "transfer_hook", "non_transferable"]);
    expect(extensionFlags(null)).toEqual([]);
    expect(highestRiskLevel([{ level: "warn" }, { level: "danger" }, { level: "info" }])).toBe("danger");
    expect(highestRiskLevel([])).toBe("none");
  });
});

describe("RugCheck report (real captured shape)", () => {
  it("parses and yields the score inputs: percent holders, renounced authorities, danger risks", () => {
    const report = RugcheckReportSchema.parse(rugReport);
    expect(top10HolderPercent(report)).toBeCloseTo(20.232212858918526 + 19.490656840600415, 9);
    const now = Date.parse("2025-04-18T20:01:15.439Z"); // 24.5 h after detection
    const { inputs } = inputsFromUpstream(report, null, now);
    expect(inputs).toMatchObject({
      liquidity_usd: 5.1826395343203195, // no DexScreener pair: RugCheck's market liquidity
      mint_authority: null,
      freeze_authority: null,
      is_rugged: false,
      rugcheck_risk_level: "danger",
      transfer_fee_bps: 0,
      extension_flags: [],
    });
    expect(inputs.danger_risks).toEqual(["Top 10 holders high ownership", "Low Liquidity", "High ownership"]);
    expect(inputs.token_age_hours).toBeCloseTo(24.5, 6);
    const r = scoreSafety(inputs, cfg);
    expect(r.checks).toEqual({ liquidity: false, holders: true, contract: false, age: true });
    expect(r).toMatchObject({ score: 0.5, passed: false });
  });

  it("leaves AMM-owned holders (pool vaults) out of the top-10 sum", () => {
    const report = RugcheckReportSchema.parse({
      ...rugReport,
      topHolders: [
        { pct: 60, owner: "GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL" },
        { pct: 5, owner: "someone" },
      ],
    });
    expect(top10HolderPercent(report)).toBe(5);
  });
});

describe("assessTokenSafety (cache + upstreams through the fake)", () => {
  let config: Config;
  const db = getDb(env.DB);
  beforeEach(async () => {
    await fake.reset();
    config = await loadConfig(db);
  });

  it("fetches RugCheck + DexScreener, stores every part and the score in tokens, then serves the cache", async () => {
    const mint = addr();
    await fake.tokens({
      mint,
      price_usd: 0.01,
      liquidity_usd: 120_000,
      age_hours: 72,
      top10_holder_percent: 35,
      decimals: 6,
    });
    const first = await assessTokenSafety(env, db, mint, config);
    expect(first).toMatchObject({ status: "ok", source: "upstream", decimals: 6 });
    expect(first.status === "ok" && first.result).toMatchObject({ score: 1, passed: true });
    const row = await env.DB.prepare("SELECT * FROM tokens WHERE mint_address = ?").bind(mint).first();
    expect(row).toMatchObject({
      safety_score: 1,
      liquidity_usd: 120_000,
      check_liquidity_passed: 1,
      check_holders_passed: 1,
      check_contract_passed: 1,
      check_age_passed: 1,
      rugcheck_risk_level: "none",
      is_rugged: 0,
      transfer_fee_bps: 0,
      contract_flags: "[]",
      safety_source: "rugcheck+dexscreener",
      decimals: 6,
    });
    expect(row?.top10_holder_percent as number).toBeCloseTo(35, 9);
    expect(row?.token_age_hours as number).toBeCloseTo(72, 1);

    const calls = await fake.calls();
    const second = await assessTokenSafety(env, db, mint, config);
    expect(second).toMatchObject({ status: "ok", source: "cache" });
    expect(await fake.calls()).toEqual(calls); // no upstream call within the TTL
  });

  it("refetches after the TTL", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.01 });
    await assessTokenSafety(env, db, mint, config);
    const later = Date.now() + config.token_cache_ttl_seconds * 1000 + 1;
    const again = await assessTokenSafety(env, db, mint, config, later);
    expect(again).toMatchObject({ status: "ok", source: "upstream" });
    expect((await fake.calls())["rugcheck.report"]).toBe(2);
  });

  it("an unsafe token is scored with its failing parts stored", async () => {
    const mint = addr();
    await fake.tokens({
      mint,
      price_usd: 0.01,
      liquidity_usd: 1000,
      mint_authority: "MintAuth1111111111111111111111111111111111",
      token_program: "token2022",
      extensions: ["permanentDelegate"],
      transfer_fee_pct: 5,
    });
    const r = await assessTokenSafety(env, db, mint, config);
    expect(r.status === "ok" && r.result).toMatchObject({
      score: 0.5,
      passed: false,
      checks: { liquidity: false, holders: true, contract: false, age: true },
    });
    const row = await env.DB.prepare("SELECT * FROM tokens WHERE mint_address = ?").bind(mint).first();
    expect(JSON.parse(row?.contract_flags as string)).toEqual([
      "mint_authority",
      "permanent_delegate",
      "transfer_fee_above_cap",
    ]);
    expect(row).toMatchObject({ transfer_fee_bps: 500, check_contract_passed: 0, check_liquidity_passed: 0 });
    // Served from the cache, the same flags rebuild the same verdict.
    const cached = await assessTokenSafety(env, db, mint, config);
    expect(cached.status === "ok" && cached.source === "cache" && cached.result.contract_flags).toEqual([
      "mint_authority",
      "permanent_delegate",
      "transfer_fee_above_cap",
    ]);
  });

  it("upstream failure: the stale cache is used (with a warning); nothing cached → unavailable", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.01 });
    await assessTokenSafety(env, db, mint, config);
    await fake.fail("rugcheck.report", { status: 503 });
    const stale = await assessTokenSafety(env, db, mint, config, Date.now() + 2 * 3600_000);
    expect(stale).toMatchObject({ status: "ok", source: "stale_cache" });
    expect(stale.status === "ok" && stale.result.passed).toBe(true);

    const unknown = addr();
    await fake.tokens({ mint: unknown, price_usd: 0.01 });
    expect(await assessTokenSafety(env, db, unknown, config)).toMatchObject({ status: "unavailable" });
    await fake.fail("rugcheck.report", { mode: "timeout" });
    expect(await assessTokenSafety(env, db, addr(), config)).toMatchObject({ status: "unavailable" });
  });

  it("DexScreener down: RugCheck's liquidity and detection time stand in", async () => {
    const mint = addr();
    await fake.tokens({ mint, price_usd: 0.01, liquidity_usd: 90_000, age_hours: 100 });
    await fake.fail("dexscreener.tokens", { status: 500 });
    const r = await assessTokenSafety(env, db, mint, config);
    expect(r).toMatchObject({ status: "ok", source: "upstream" });
    expect(r.status === "ok" && r.inputs.liquidity_usd).toBe(90_000);
    expect(r.status === "ok" && r.result.passed).toBe(true);
  });
});
