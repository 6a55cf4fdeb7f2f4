import { describe, expect, it } from "vitest";
import { checkedMaxAge, MAX_REFERENCE_AGE_MS, referenceUse } from "../src/domain/reference-price";

describe("referenceUse", () => {
  it("serves within half the age, serves and refreshes past it, asks past the age or without a fetch", () => {
    expect(referenceUse(undefined, 10_000, 4_000)).toBe("ask");
    expect(referenceUse(10_000, 10_000, 4_000)).toBe("serve");
    expect(referenceUse(10_000, 12_000, 4_000)).toBe("serve");
    expect(referenceUse(10_000, 12_001, 4_000)).toBe("serve_and_refresh");
    expect(referenceUse(10_000, 14_000, 4_000)).toBe("serve_and_refresh");
    expect(referenceUse(10_000, 14_001, 4_000)).toBe("ask");
    // A fetch stamped after now (the clock went back) is not trusted.
    expect(referenceUse(10_001, 10_000, 4_000)).toBe("ask");
  });
});

describe("checkedMaxAge", () => {
  it("is null without options, the number when valid, an error otherwise", () => {
    expect(checkedMaxAge(undefined)).toBeNull();
    expect(checkedMaxAge({})).toBeNull();
    expect(checkedMaxAge({ max_age_ms: 0 })).toBe(0);
    expect(checkedMaxAge({ max_age_ms: MAX_REFERENCE_AGE_MS })).toBe(MAX_REFERENCE_AGE_MS);
    expect(() => checkedMaxAge({ max_age_ms: MAX_REFERENCE_AGE_MS + 1 })).toThrow(/max_age_ms/);
    expect(() => checkedMaxAge({ max_age_ms: Number.NaN })).toThrow(/max_age_ms/);
    expect(() => checkedMaxAge("5")).toThrow(/must be an object/);
  });
});
