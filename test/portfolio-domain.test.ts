import { describe, expect, it } from "vitest";
import {
  aggregateHoldings,
  cacheStatus,
  formatUnits,
  lamportsToSol,
  nextStatus,
  oldest,
  refreshHttpStatus,
  solToLamports,
  statusAfterLaunch,
} from "../src/domain/portfolio";

const NOW = "2026-11-21T09:00:00.000Z";

describe("status rule (0.25 SOL)", () => {
  const unfunded = { status: "UNFUNDED" as const, launch_count: 0, first_funded_at: null };
  it("funds at exactly the threshold, not one lamport below", () => {
    expect(solToLamports(0.25)).toBe(250_000_000n);
    expect(nextStatus(unfunded, 249_999_999n, 0.25, NOW)).toEqual({ status: "UNFUNDED", first_funded_at: null });
    expect(nextStatus(unfunded, 250_000_000n, 0.25, NOW)).toEqual({ status: "FUNDED", first_funded_at: NOW });
  });
  it("keeps the first funding time and the FUNDED status when the balance drops", () => {
    const funded = { status: "FUNDED" as const, launch_count: 0, first_funded_at: "2026-01-01T00:00:00.000Z" };
    expect(nextStatus(funded, 0n, 0.25, NOW)).toEqual({
      status: "FUNDED",
      first_funded_at: "2026-01-01T00:00:00.000Z",
    });
    expect(nextStatus(funded, 9n * 10n ** 9n, 0.25, NOW).first_funded_at).toBe("2026-01-01T00:00:00.000Z");
  });
  it("never moves ARCHIVED, keeps LAUNCHED, and follows a configured threshold", () => {
    expect(nextStatus({ ...unfunded, status: "ARCHIVED" }, 10n ** 10n, 0.25, NOW).status).toBe("ARCHIVED");
    expect(nextStatus({ ...unfunded, launch_count: 2 }, 0n, 0.25, NOW).status).toBe("LAUNCHED");
    expect(nextStatus(unfunded, 500_000_000n, 1, NOW).status).toBe("UNFUNDED");
    expect(statusAfterLaunch("FUNDED")).toBe("LAUNCHED");
    expect(statusAfterLaunch("ARCHIVED")).toBe("ARCHIVED");
  });
});

describe("staleness", () => {
  const now = Date.parse(NOW);
  it("is stale when never refreshed or older than the window", () => {
    expect(cacheStatus(null, 300, now)).toEqual({ cached_at: null, cache_age_seconds: null, is_stale: true });
    expect(cacheStatus("2026-11-21T08:55:00.000Z", 300, now)).toEqual({
      cached_at: "2026-11-21T08:55:00.000Z",
      cache_age_seconds: 300,
      is_stale: false,
    });
    expect(cacheStatus("2026-11-21T08:54:59.000Z", 300, now).is_stale).toBe(true);
  });
  it("a wallet is as old as its oldest part; a never-refreshed part makes it never refreshed", () => {
    expect(oldest(["2026-11-21T08:00:00.000Z", "2026-11-21T07:00:00.000Z"])).toBe("2026-11-21T07:00:00.000Z");
    expect(oldest(["2026-11-21T08:00:00.000Z", null])).toBeNull();
  });
});

describe("holdings", () => {
  it("sums accounts of one mint with bigint, drops empty ones, keeps u64 precision", () => {
    const h = aggregateHoldings([
      { mint: "B", amount: "18446744073709551615", decimals: 0, token_program: "t" },
      { mint: "A", amount: "5", decimals: 2, token_program: "t" },
      { mint: "A", amount: "7", decimals: 2, token_program: "t" },
      { mint: "C", amount: "0", decimals: 6, token_program: "t22" },
    ]);
    expect(h).toEqual([
      { mint_address: "A", balance: "12", decimals: 2, token_program: "t" },
      { mint_address: "B", balance: "18446744073709551615", decimals: 0, token_program: "t" },
    ]);
  });
  it("formats base units exactly", () => {
    expect(formatUnits("420000000000000", 6)).toBe("420000000");
    expect(formatUnits("1500000000", 9)).toBe("1.5");
    expect(formatUnits("1", 9)).toBe("0.000000001");
    expect(formatUnits("7", 0)).toBe("7");
    expect(lamportsToSol(249_999_999n)).toBe(0.249999999);
  });
});

describe("refresh HTTP status", () => {
  const ok = { status: "ok" as const, refreshed_at: NOW };
  const bad = { status: "failed" as const, message: "x" };
  it("200 all ok, 207 some failed, 503 all failed", () => {
    expect(refreshHttpStatus([ok, ok, ok])).toBe(200);
    expect(refreshHttpStatus([ok, bad, ok])).toBe(207);
    expect(refreshHttpStatus([bad, bad, bad])).toBe(503);
  });
});

describe("operator status changes", () => {
  const w = { status: "UNFUNDED" as const, launch_count: 0, first_funded_at: null, last_balance_lamports: null };
  it("archives anything, unarchives only into the status balance and launches give", async () => {
    const { operatorStatusChange, lifecycleStatus } = await import("../src/domain/portfolio");
    expect(operatorStatusChange(w, "ARCHIVED", 0.25, NOW)).toEqual({
      ok: true,
      status: "ARCHIVED",
      first_funded_at: null,
    });
    expect(operatorStatusChange(w, "FUNDED", 0.25, NOW).ok).toBe(false);
    const archivedRich = { ...w, status: "ARCHIVED" as const, last_balance_lamports: "250000000" };
    expect(operatorStatusChange(archivedRich, "FUNDED", 0.25, NOW)).toEqual({
      ok: true,
      status: "FUNDED",
      first_funded_at: NOW,
    });
    expect(operatorStatusChange({ ...archivedRich, launch_count: 1 }, "FUNDED", 0.25, NOW).ok).toBe(false);
    expect(lifecycleStatus({ launch_count: 0, first_funded_at: "2026-01-01T00:00:00.000Z" }, 0n, 0.25)).toBe("FUNDED");
    expect(lifecycleStatus({ launch_count: 0, first_funded_at: null }, 249_999_999n, 0.25)).toBe("UNFUNDED");
  });
});
