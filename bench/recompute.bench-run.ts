import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { recomputePerformance } from "../src/db/performance-store";
import { seedBook } from "../test/helpers/seed-book";

// `npm run bench:recompute`: the performance recompute of issue 12 on a 2,000-wallet book in local workerd + D1.
const WALLETS = 2000;

it(`recomputes ${WALLETS} wallets`, async () => {
  const now = Date.now();
  const t0 = performance.now();
  await seedBook(env.DB, { wallets: WALLETS, positionsPerWallet: 5, signalsPerWallet: 10, tag: "BENCH", now });
  const seeded = performance.now();
  const runs: number[] = [];
  let result: Awaited<ReturnType<typeof recomputePerformance>> | null = null;
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    result = await recomputePerformance(getDb(env.DB), now);
    runs.push(Math.round(performance.now() - s));
  }
  console.log(
    JSON.stringify({
      bench: "performance_recompute",
      wallets: result?.wallets,
      rows: result?.rows,
      statements: result?.statements,
      seed_ms: Math.round(seeded - t0),
      recompute_ms: runs,
      recompute_ms_best: Math.min(...runs),
    }),
  );
  expect(result?.wallets).toBeGreaterThanOrEqual(WALLETS);
}, 300_000);
