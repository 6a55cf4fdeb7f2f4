import { isAddress } from "@solana/kit";
import { describe, expect, it } from "vitest";
import { addressProblem, isBase58Address } from "../src/domain/address";
import { addr } from "./helpers/helius";

describe("isBase58Address (the memoised address rule)", () => {
  it("answers as @solana/kit does, first time and remembered, for good and bad strings", () => {
    const good = addr();
    const cases = [
      good,
      good.slice(0, -1),
      `${good}1`,
      "0OIl".repeat(11),
      "",
      "So11111111111111111111111111111111111111112",
    ];
    for (const s of cases) {
      expect(isBase58Address(s), s).toBe(isAddress(s));
      expect(isBase58Address(s), `${s} (remembered)`).toBe(isAddress(s));
    }
    expect(addressProblem(good.slice(0, -2))).toMatch(/32 bytes/);
  });

  it("stays right past the memo's size (it is cleared, never wrong)", () => {
    const many = Array.from({ length: 5000 }, () => addr());
    for (const s of many) expect(isBase58Address(s)).toBe(true);
    for (const s of many.slice(0, 50)) expect(isBase58Address(s.replace(/.$/, "0"))).toBe(false);
    expect(isBase58Address(many[0] as string)).toBe(true);
  });
});
