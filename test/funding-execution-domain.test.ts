import { describe, expect, it } from "vitest";
import { dueFundingAction, settleAction } from "../src/domain/funding-execution";

const on = { enabled: true, max_transfer_sol: 1, funding_wallet: "FunderAddr" };
const f = { amount_sol: 0.5, source_wallet: null, wallet_status: "UNFUNDED" };

describe("due funding decisions", () => {
  it("skips when off or keyless, refuses above the cap / archived / other source, executes otherwise", () => {
    expect(dueFundingAction(f, { ...on, enabled: false }).kind).toBe("skip");
    expect(dueFundingAction(f, { ...on, funding_wallet: null }).kind).toBe("skip");
    expect(dueFundingAction({ ...f, amount_sol: 1.000000001 }, on).kind).toBe("refuse");
    expect(dueFundingAction({ ...f, amount_sol: 1 }, on)).toEqual({ kind: "execute", lamports: 1_000_000_000n });
    expect(dueFundingAction({ ...f, wallet_status: "ARCHIVED" }, on).kind).toBe("refuse");
    expect(dueFundingAction({ ...f, wallet_status: null }, on).kind).toBe("refuse");
    expect(dueFundingAction({ ...f, source_wallet: "Other" }, on).kind).toBe("refuse");
    expect(dueFundingAction({ ...f, source_wallet: "FunderAddr" }, on).kind).toBe("execute");
  });
  it("settles by signature status: executed, failed on chain, re-sent while valid, failed once expired", () => {
    expect(settleAction({ confirmation_status: "confirmed", err: null }, null, 10, true)).toEqual({ kind: "executed" });
    expect(settleAction({ confirmation_status: "finalized", err: { X: 1 } }, null, 10, true).kind).toBe("failed");
    expect(settleAction({ confirmation_status: "processed", err: null }, 5, 10, true).kind).toBe("wait");
    expect(settleAction(null, 10, 10, true).kind).toBe("rebroadcast");
    expect(settleAction(null, 10, 10, false).kind).toBe("wait");
    expect(settleAction(null, 11, 10, true).kind).toBe("failed");
    expect(settleAction(null, null, 10, true).kind).toBe("wait");
  });
});
