import { describe, expect, it } from "vitest";
import docsExample from "../../shared/fixtures/helius-enhanced-tx.docs-schema-example.json";
import nftSale from "../../shared/fixtures/helius-webhook-enhanced-nft-sale.official.json";
import pumpAmm from "../../shared/fixtures/helius-webhook-enhanced-swap-pumpamm.captured.json";
import { classify, uiToBase, withSolPrice } from "../src/domain/classify";
import { HeliusTxSchema, involvedAddresses } from "../src/domain/helius-tx";
import { addr, nativeBuy, tx, USDC, USDT, WSOL } from "./helpers/helius";
import { buildSwapTx, fakeSignature } from "./helpers/helius-payloads";

const parse = (raw: unknown) => HeliusTxSchema.parse(raw);
const LEADER = "DNfuF1L62WWyW3pNakVkyGGFzVVhj4Yr52jSmdTyeBHm";
const MEME = "44sVpouhWHXzADVsVUo863tvgmaw6LNQo25fYRs1pump";

describe("real Helius samples", () => {
  it("classifies the captured PumpSwap delivery as a SELL of 44sVpo…pump for 11.263971513 SOL", () => {
    const c = classify(parse(pumpAmm[0]), LEADER);
    expect(c).toMatchObject({
      signal_type: "sell",
      other_reason: null,
      token_mint: MEME,
      token_amount: "3666988222932",
      token_decimals: 6,
      quote_mint: WSOL,
      quote_amount: "11263971513", // the WSOL leg, not also its unwrap, not the 0.113 SOL fee transfer
      sol_amount: 11.263971513,
    });
    expect(c.price_sol).toBeCloseTo(11.263971513 / 3666988.222932, 15);
    expect(c.price_usd).toBeNull(); // a SOL-quoted trade gets its USD price from the SOL price
    const usd = withSolPrice(c, 200);
    expect(usd.usd_amount).toBeCloseTo(2252.7943026, 6);
    expect(usd.price_usd).toBeCloseTo((11.263971513 / 3666988.222932) * 200, 12);
  });

  it("the same delivery seen from the counterparty (the pool) is not the leader's trade", () => {
    const c = classify(parse(pumpAmm[0]), "DmyGpMBR5bVLVViypBXAPX5D5FW6GaVzMWEx7sF8i6rT");
    expect(c.signal_type).not.toBe("sell");
  });

  it('refuses the docs schema example\'s placeholders ("text" as an account or an amount), naming the fields', () => {
    const res = HeliusTxSchema.safeParse(docsExample[0]);
    expect(res.success).toBe(false);
    const paths = (res.error?.issues ?? []).map((i) => i.path.join("."));
    expect(paths).toContain("nativeTransfers.0.fromUserAccount");
    expect(paths).toContain("accountData.0.tokenBalanceChanges.0.rawTokenAmount.tokenAmount");
  });

  it("the NFT sale is not a memecoin trade, for the buyer or the seller", () => {
    const t = parse(nftSale[0]);
    for (const who of ["CKs1E69a2e9TmH4mKKLrXFF8kD3ZnwKjoEuXa6sz9WqX", "5DxD5ViWjvRZEkxQEaJHZw2sBsso6xoXx3wGFNKgXUzE"])
      expect(classify(t, who)).toMatchObject({ signal_type: "other", other_reason: "not_a_trade", token_amount: null });
  });

  it("lists every address a transaction involves", () => {
    const set = involvedAddresses(parse(pumpAmm[0]));
    expect(set.has(LEADER)).toBe(true);
    expect(set.has("DmyGpMBR5bVLVViypBXAPX5D5FW6GaVzMWEx7sF8i6rT")).toBe(true);
    expect(set.has("9yMwSPk9mrXSN7yDHUuZurAh1sjbJsfpUqjZ7SvVtdco")).toBe(true);
  });

  it("ignores Helius's type: the same transfers typed UNKNOWN or TRANSFER classify the same", () => {
    for (const type of ["UNKNOWN", "TRANSFER", "NFT_SALE"]) {
      const c = classify(parse({ ...pumpAmm[0], type, events: {} }), LEADER);
      expect(c.signal_type).toBe("sell");
    }
  });
});

describe("built payloads", () => {
  const wallet = addr();
  const mint = addr();
  const pool = addr();

  it("BUY with native SOL: the fee transfer is not part of the trade", () => {
    const c = classify(parse(nativeBuy(wallet, mint, { sol: 1.5, tokens: 300000 })), wallet);
    expect(c).toMatchObject({
      signal_type: "buy",
      token_mint: mint,
      token_amount: "300000000000",
      token_decimals: 6,
      quote_mint: WSOL,
      quote_amount: "1500000000",
      sol_amount: 1.5,
    });
    expect(c.price_sol).toBeCloseTo(1.5 / 300000, 15);
  });

  it("BUY with WSOL: the wrap (native → own WSOL account) and the WSOL transfer are one leg; WSOL fee left out", () => {
    const ata = addr();
    const t = tx({
      feePayer: wallet,
      natives: [{ amount: 2_020_000_000, from: wallet, to: ata }], // wrap
      tokens: [
        { mint: WSOL, amount: 2, from: wallet, to: pool, fromTokenAccount: ata },
        { mint: WSOL, amount: 0.02, from: wallet, to: addr(), fromTokenAccount: ata }, // fee
        { mint, amount: 1234.567891, from: pool, to: wallet },
      ],
      changes: [{ user: wallet, mint, raw: "1234567891", decimals: 6 }],
    });
    const c = classify(parse(t), wallet);
    expect(c).toMatchObject({
      signal_type: "buy",
      quote_amount: "2000000000",
      sol_amount: 2,
      token_amount: "1234567891",
    });
  });

  it("SELL for native SOL with a fee transfer out of the proceeds", () => {
    const t = tx({
      feePayer: wallet,
      tokens: [{ mint, amount: 5000, from: wallet, to: pool }],
      natives: [
        { amount: 750_000_000, from: pool, to: wallet },
        { amount: 7_500_000, from: wallet, to: addr() },
      ],
      changes: [{ user: wallet, mint, raw: "-5000000000", decimals: 6 }],
    });
    expect(classify(parse(t), wallet)).toMatchObject({
      signal_type: "sell",
      token_amount: "5000000000",
      quote_amount: "750000000",
      sol_amount: 0.75,
    });
  });

  it("SELL for WSOL closed back to SOL (the unwrap is not counted twice)", () => {
    const tmp = addr();
    const t = tx({
      feePayer: wallet,
      tokens: [
        { mint, amount: 10, from: wallet, to: pool },
        { mint: WSOL, amount: 0.5, from: pool, to: wallet, toTokenAccount: tmp },
      ],
      natives: [{ amount: 500_000_000, from: tmp, to: wallet }],
      changes: [{ user: wallet, mint, raw: "-10000000000", decimals: 9 }],
    });
    expect(classify(parse(t), wallet)).toMatchObject({
      signal_type: "sell",
      quote_amount: "500000000",
      sol_amount: 0.5,
    });
  });

  it("BUY paid in USDC, and in USDT: USD-quoted, price per token in USD", () => {
    for (const stable of [USDC, USDT]) {
      const t = tx({
        feePayer: wallet,
        tokens: [
          { mint: stable, amount: 250.5, from: wallet, to: pool },
          { mint, amount: 1000, from: pool, to: wallet },
        ],
        changes: [{ user: wallet, mint, raw: "1000000000", decimals: 6 }],
      });
      const c = classify(parse(t), wallet);
      expect(c).toMatchObject({ signal_type: "buy", quote_mint: stable, quote_amount: "250500000", quote_usd: 250.5 });
      expect(c.price_usd).toBeCloseTo(0.2505, 12);
      expect(c.sol_amount).toBeNull();
      const priced = withSolPrice(c, 150);
      expect(priced.sol_amount).toBeCloseTo(1.67, 9);
      expect(priced.price_sol).toBeCloseTo(0.2505 / 150, 12);
    }
  });

  it("the quote leg paired with the token's counterparty wins over a loose leg of the other quote", () => {
    const usdcBuy = tx({
      feePayer: wallet,
      tokens: [
        { mint: USDC, amount: 40, from: wallet, to: pool },
        { mint, amount: 100, from: pool, to: wallet },
      ],
      natives: [{ amount: 30_000_000, from: wallet, to: addr() }], // a SOL fee, not the trade
      changes: [{ user: wallet, mint, raw: "100000000", decimals: 6 }],
    });
    expect(classify(parse(usdcBuy), wallet)).toMatchObject({ quote_mint: USDC, quote_amount: "40000000" });
    const solBuy = tx({
      feePayer: wallet,
      tokens: [
        { mint: USDC, amount: 0.5, from: wallet, to: addr() }, // a USDC tip elsewhere
        { mint, amount: 100, from: pool, to: wallet },
      ],
      natives: [{ amount: 2_000_000_000, from: wallet, to: pool }],
      changes: [{ user: wallet, mint, raw: "100000000", decimals: 6 }],
    });
    expect(classify(parse(solBuy), wallet)).toMatchObject({ quote_mint: WSOL, sol_amount: 2 });
  });

  it("token-to-token is unsupported_pair", () => {
    const other = addr();
    const t = tx({
      feePayer: wallet,
      tokens: [
        { mint: other, amount: 10, from: wallet, to: pool },
        { mint, amount: 20, from: pool, to: wallet },
      ],
      changes: [
        { user: wallet, mint: other, raw: "-10000000", decimals: 6 },
        { user: wallet, mint, raw: "20000000", decimals: 6 },
      ],
    });
    expect(classify(parse(t), wallet)).toMatchObject({ signal_type: "other", other_reason: "unsupported_pair" });
  });

  it("SOL ↔ USDC (quote to quote) is unsupported_pair; a plain SOL transfer is not_a_trade", () => {
    const swap = tx({
      feePayer: wallet,
      tokens: [
        { mint: WSOL, amount: 1, from: wallet, to: pool },
        { mint: USDC, amount: 150, from: pool, to: wallet },
      ],
    });
    expect(classify(parse(swap), wallet).other_reason).toBe("unsupported_pair");
    const send = tx({ feePayer: wallet, natives: [{ amount: 1e9, from: wallet, to: addr() }] });
    expect(classify(parse(send), wallet)).toMatchObject({ signal_type: "other", other_reason: "not_a_trade" });
  });

  it("a token received without paying (airdrop) is not_a_trade", () => {
    const t = tx({
      feePayer: addr(),
      tokens: [{ mint, amount: 1000, from: addr(), to: wallet }],
      changes: [{ user: wallet, mint, raw: "1000000000", decimals: 6 }],
    });
    expect(classify(parse(t), wallet)).toMatchObject({ signal_type: "other", other_reason: "not_a_trade" });
  });

  it("without balance changes, converts the UI amount exactly with the decimals the payload gives elsewhere", () => {
    const t = tx({
      feePayer: wallet,
      natives: [{ amount: 100_000_000, from: wallet, to: pool }],
      tokens: [{ mint, amount: 123456789.123456, from: pool, to: wallet }],
      changes: [{ user: pool, mint, raw: "-123456789123456", decimals: 6 }], // only the pool's side
    });
    expect(classify(parse(t), wallet)).toMatchObject({ signal_type: "buy", token_amount: "123456789123456" });
  });

  it("with no decimals anywhere, keeps the UI amount and price but no base-unit amount", () => {
    const t = tx({
      feePayer: wallet,
      natives: [{ amount: 100_000_000, from: wallet, to: pool }],
      tokens: [{ mint, amount: 50, from: pool, to: wallet }],
    });
    const c = classify(parse(t), wallet);
    expect(c).toMatchObject({ signal_type: "buy", token_amount: null, token_decimals: null, token_ui_amount: 50 });
    expect(c.price_sol).toBeCloseTo(0.002, 15);
  });

  it("a multi-hop route whose SOL and token counterparties differ takes the largest SOL leg", () => {
    const t = tx({
      feePayer: wallet,
      natives: [
        { amount: 3_000_000_000, from: wallet, to: addr() },
        { amount: 30_000_000, from: wallet, to: addr() },
      ],
      tokens: [{ mint, amount: 10, from: addr(), to: wallet }],
      changes: [{ user: wallet, mint, raw: "10000000", decimals: 6 }],
    });
    expect(classify(parse(t), wallet)).toMatchObject({ signal_type: "buy", quote_amount: "3000000000" });
  });
});

describe("uiToBase", () => {
  it.each([
    [11.263971513, 9, 11263971513n],
    [3666988.222932, 6, 3666988222932n],
    [1e-7, 9, 100n],
    [0.30000000000000004, 6, 300000n],
    [0.0000015, 6, 2n], // more digits than the mint has: rounded half up
    [0, 6, 0n],
    [1e21, 0, 1000000000000000000000n],
    [1.5e-7, 9, 150n],
    [2.5e22, 2, 2500000000000000000000000n],
  ])("%s with %i decimals = %s", (ui, d, want) => {
    expect(uiToBase(ui, d)).toBe(want);
  });

  it("refuses negative or non-finite amounts", () => {
    expect(() => uiToBase(-1, 6)).toThrow();
    expect(() => uiToBase(Number.NaN, 6)).toThrow();
  });
});

describe("schema", () => {
  it("keeps unknown fields and rejects items missing the signature or with a non-numeric timestamp", () => {
    const ok = HeliusTxSchema.safeParse({ ...pumpAmm[0], brandNewField: { x: 1 } });
    expect(ok.success && (ok.data as Record<string, unknown>).brandNewField).toEqual({ x: 1 });
    expect(HeliusTxSchema.safeParse({ ...pumpAmm[0], signature: undefined }).success).toBe(false);
    expect(HeliusTxSchema.safeParse({ ...pumpAmm[0], timestamp: "yesterday" }).success).toBe(false);
    expect(HeliusTxSchema.safeParse({ ...pumpAmm[0], tokenTransfers: "nope" }).success).toBe(false);
    expect(HeliusTxSchema.safeParse("not an object").success).toBe(false);
  });
});

describe("payloads of the shared builder (test/helpers/helius-payloads.ts, used by demo and bench)", () => {
  const wallet = addr();
  const mint = addr();
  it.each([
    ["buy", "wsol"],
    ["buy", "native"],
    ["buy", "usdc"],
    ["sell", "wsol"],
    ["sell", "native"],
    ["sell", "usdc"],
  ] as const)("%s with %s", (side, quote) => {
    const t = buildSwapTx({
      signature: fakeSignature(`${side}${quote}`),
      wallet,
      mint,
      side,
      quote,
      quote_amount: 2.5,
      token_amount: 12345.678901,
      fee_transfer_lamports: 25_000_000,
    });
    const c = classify(parse(t), wallet);
    expect(c).toMatchObject({ signal_type: side, token_mint: mint, token_amount: "12345678901", token_decimals: 6 });
    if (quote === "usdc") expect(c).toMatchObject({ quote_mint: USDC, quote_amount: "2500000", quote_usd: 2.5 });
    else expect(c).toMatchObject({ quote_mint: WSOL, quote_amount: "2500000000", sol_amount: 2.5 });
  });
});
