/**
 * Issue 9, "Real payload shapes the classifier misreads": deliveries with only accountData (no tokenTransfers,
 * nativeTransfers or feePayer), and pump.fun bonding-curve trades whose SOL leg is only lamport changes.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { classify } from "../src/domain/classify";
import { HeliusTxSchema } from "../src/domain/helius-tx";
import { randomAddress } from "./helpers/addresses";
import { api } from "./helpers/api";
import { waitFor } from "./helpers/execution";
import { fake } from "./helpers/fake";
import { WSOL } from "./helpers/helius";
import {
  buildCurveSwapTx,
  type CurveSwapSpec,
  fakeSignature,
  TOKEN_ACCOUNT_RENT_LAMPORTS,
} from "./helpers/helius-payloads";
import { ordersOf, positionsOf, signalsOf } from "./helpers/rows";
import { deliver } from "./helpers/wallet-actor";

const wallet = randomAddress();
const mint = randomAddress();
const build = (o: Partial<CurveSwapSpec> & Pick<CurveSwapSpec, "side" | "shape">) =>
  buildCurveSwapTx({
    signature: fakeSignature(JSON.stringify(o)),
    wallet,
    mint,
    sol: 1.5,
    tokens: 52_345.678901,
    ...o,
  });
const classifyRaw = (raw: unknown, who = wallet) => classify(HeliusTxSchema.parse(raw), who);

describe("accountData only: no tokenTransfers, no nativeTransfers, no feePayer", () => {
  it("the payload really is that shape, and parses", () => {
    const t = build({ side: "buy", shape: "balances-only" }) as Record<string, unknown>;
    expect(t.tokenTransfers).toBeUndefined();
    expect(t.nativeTransfers).toBeUndefined();
    expect(t.feePayer).toBeUndefined();
    expect(HeliusTxSchema.safeParse(t).success).toBe(true);
  });

  it.each(["buy", "sell"] as const)(
    "a %s: side from the token balance change, exact amounts, SOL the curve moved",
    (side) => {
      const c = classifyRaw(build({ side, shape: "balances-only", token_account_rent: true, tip_lamports: 1_000_000 }));
      expect(c).toMatchObject({
        signal_type: side,
        other_reason: null,
        token_mint: mint,
        token_amount: "52345678901", // rawTokenAmount, exact
        token_decimals: 6,
        token_ui_amount: 52345.678901,
        quote_mint: WSOL,
        quote_amount: "1500000000", // not the fee, the tip, the rent or the network fee
        sol_amount: 1.5,
      });
      expect(c.price_sol).toBeCloseTo(1.5 / 52345.678901, 15);
    },
  );

  it("without the curve's lamports listed, a BUY is the wallet's change net of network fee, new-account rent, fee and tip", () => {
    const c = classifyRaw(
      build({
        side: "buy",
        shape: "balances-only",
        omit_curve_lamports: true,
        token_account_rent: true,
        tip_lamports: 2_000_000,
        platform_fee_lamports: 15_000_000,
      }),
    );
    expect(c).toMatchObject({ signal_type: "buy", quote_amount: "1500000000", sol_amount: 1.5 });
  });

  it("without the curve's lamports listed, a SELL is the wallet's change plus network fee, fee and tip, minus the rent refund", () => {
    const c = classifyRaw(
      build({
        side: "sell",
        shape: "balances-only",
        omit_curve_lamports: true,
        token_account_rent: true,
        tip_lamports: 700_000,
      }),
    );
    // The wallet got 1.5 SOL less the 1 % platform fee, paid a tip and the network fee, and got its token
    // account's rent back: the trade is the 1.5 SOL the curve paid, as when the curve's change is listed.
    expect(c).toMatchObject({ signal_type: "sell", quote_amount: "1500000000", sol_amount: 1.5 });
  });

  it("seen from the curve or from a bystander it is not the wallet's trade", () => {
    const t = build({ side: "buy", shape: "balances-only" });
    expect(classifyRaw(t, randomAddress()).signal_type).toBe("other");
  });
});

describe("pump.fun bonding curve: token leg a transfer, SOL leg only lamport changes", () => {
  it.each(["buy", "sell"] as const)(
    "a %s: the SOL is what the curve received or paid, not the fee transfer",
    (side) => {
      const c = classifyRaw(
        build({ side, shape: "pump-curve", token_account_rent: side === "buy", tip_lamports: 500_000 }),
      );
      expect(c).toMatchObject({
        signal_type: side,
        token_mint: mint,
        token_amount: "52345678901",
        quote_mint: WSOL,
        quote_amount: "1500000000",
        sol_amount: 1.5,
      });
    },
  );

  it("with no native transfer at all (fee 0, no tip) it is still a trade", () => {
    const c = classifyRaw(build({ side: "buy", shape: "pump-curve", platform_fee_lamports: 0 }));
    expect(c).toMatchObject({ signal_type: "buy", quote_amount: "1500000000" });
  });

  it("the rent of the new token account is never part of the trade", () => {
    expect(TOKEN_ACCOUNT_RENT_LAMPORTS).toBe(2_039_280);
    const withRent = classifyRaw(
      build({ side: "buy", shape: "balances-only", token_account_rent: true, omit_curve_lamports: true }),
    );
    const without = classifyRaw(build({ side: "buy", shape: "balances-only", omit_curve_lamports: true }));
    expect(withRent.quote_amount).toBe(without.quote_amount);
  });
});

describe("end to end", () => {
  beforeEach(async () => {
    await fake.reset();
    expect((await api("PATCH", "/api/v1/config", { swap_min_spacing_ms: 0 })).status).toBe(200);
  });

  it.each(["balances-only", "pump-curve"] as const)(
    "a %s BUY delivered by the webhook becomes an open position",
    async (shape) => {
      const leader = (await api("POST", "/api/v1/wallets", { address: randomAddress(), label: `curve-${shape}` })).body
        .address as string;
      const token = randomAddress();
      await fake.tokens({
        mint: token,
        price_usd: 0.002,
        liquidity_usd: 400_000,
        age_hours: 96,
        top10_holder_percent: 30,
      });
      const buy = buildCurveSwapTx({
        signature: fakeSignature(`curve-e2e-${token}`),
        wallet: leader,
        mint: token,
        side: "buy",
        sol: 1.5,
        tokens: 100_000,
        shape,
        token_account_rent: true,
      });
      expect(await deliver([buy])).toMatchObject({ status: 200, body: { accepted: 1, rejected: 0 } });
      const [position] = await waitFor(async () => {
        const ps = await positionsOf(token);
        return ps.length ? ps : null;
      });
      const [signal] = await signalsOf(token);
      expect(signal).toMatchObject({
        signal_type: "buy",
        filtered: 0,
        sol_amount: 1.5,
        token_amount: "100000000000",
        quote_amount: "1500000000",
      });
      const [order] = await ordersOf(token);
      expect(order).toMatchObject({ side: "buy", status: "filled", signal_id: signal.id });
      expect(position).toMatchObject({ status: "open", signal_id: signal.id, source_wallet_address: leader });
    },
  );
});
