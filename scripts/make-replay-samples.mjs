// Regenerates samples/replay/ (committed): Helius deliveries in the webhook's array shape, built by the
// payload builder the tests use, and a price path per mint. Fixed seeds: the output is the same every run.
// Usage: node scripts/make-replay-samples.mjs
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { getAddressDecoder } from "@solana/kit";
import { loadTs } from "./lib/load-ts.mjs";

const { buildSwapTx, fakeSignature } = await loadTs("test/helpers/helius-payloads.ts");
const decoder = getAddressDecoder();

const T0 = 1_780_000_000; // recorded block time of the first delivery (shifted to "now" by the replay)
/** A valid address (32 bytes, base58) derived from a seed: the same every run. */
const addr = (seed) => decoder.decode(createHash("sha256").update(`replay-sample-${seed}`).digest());
const alpha = addr("leader-alpha");
const beta = addr("leader-beta");
const mint = {
  STOP: addr("mint-stop"),
  TRAIL: addr("mint-trail"),
  SCALE: addr("mint-scale"),
  MIRROR: addr("mint-mirror"),
  RUG: addr("mint-rug"),
};
let n = 0;
const swap = (wallet, m, side, at, sol, tokens, extra = {}) =>
  buildSwapTx({
    signature: fakeSignature(`replay-sample-${n++}`),
    wallet,
    mint: m,
    side,
    quote_amount: sol,
    token_amount: tokens,
    timestamp: T0 + at,
    fee_transfer_lamports: 100_000,
    ...extra,
  });

mkdirSync("samples/replay/deliveries", { recursive: true });
const write = (file, data) => writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
write("samples/replay/deliveries/01-buys.json", [
  swap(alpha, mint.STOP, "buy", 0, 1, 150),
  swap(alpha, mint.TRAIL, "buy", 0, 1, 150),
  swap(beta, mint.SCALE, "buy", 1, 1, 150),
  swap(beta, mint.MIRROR, "buy", 1, 2, 300),
  swap(beta, mint.RUG, "buy", 2, 1, 150),
  swap(alpha, mint.TRAIL, "buy", 2, 0.001, 0.15), // dust: below the leader trade-size floor
]);
write(
  "samples/replay/deliveries/02-redelivery.json",
  [swap(alpha, mint.STOP, "buy", 0, 1, 150)].map((t) => ({ ...t, signature: fakeSignature("replay-sample-0") })),
);
write("samples/replay/deliveries/03-beta-sells.json", [
  swap(beta, mint.MIRROR, "sell", 150, 2.1, 300, { token_balance_after: 0 }),
]);
const safe = { liquidity_usd: 350_000, age_hours: 72, top10_holder_percent: 35 };
write("samples/replay/prices.json", {
  tokens: [
    { mint: mint.STOP, symbol: "STOP", price_usd: 1, ...safe },
    { mint: mint.TRAIL, symbol: "TRAIL", price_usd: 1, ...safe },
    { mint: mint.SCALE, symbol: "SCALE", price_usd: 1, ...safe },
    { mint: mint.MIRROR, symbol: "MIRROR", price_usd: 1, ...safe },
    {
      mint: mint.RUG,
      symbol: "RUG",
      price_usd: 1,
      liquidity_usd: 900,
      age_hours: 2,
      top10_holder_percent: 95,
      mint_authority: "RugAuthority111111111111111111111111111111",
    },
  ],
  paths: {
    [mint.STOP]: [
      { at_seconds: 60, price_usd: 0.9 },
      { at_seconds: 120, price_usd: 0.7 },
    ],
    [mint.TRAIL]: [
      { at_seconds: 60, price_usd: 1.6 },
      { at_seconds: 180, price_usd: 1.3 },
    ],
    [mint.SCALE]: [
      { at_seconds: 60, price_usd: 2.1 },
      { at_seconds: 180, price_usd: 3.2 },
    ],
    [mint.MIRROR]: [{ at_seconds: 120, price_usd: 1.2 }],
  },
});
console.log("samples/replay written");
