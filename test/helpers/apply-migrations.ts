import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files run before each test file; applying is idempotent (tracked in d1_migrations).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Quote-priced simulated fills (issue 11) use a spare swap token, and whether one is spare depends on the
// wall clock refilling the bucket: every file starts with them off, so a simulated fill is priced with
// simulated_slippage_bps exactly as before. The shipped default (on) is checked by test/sim-quote.test.ts,
// and the tests of the quote model turn it on with a bucket they control.
await env.DB.prepare("UPDATE config SET simulation_quotes_enabled = 0 WHERE id = 1").run();

// The upstream circuit breaker is per isolate and shared by every test of a file: each test starts closed,
// so a test that makes an upstream fail on purpose never makes the next one skip it.
import { beforeEach } from "vitest";
import { resetUpstreamHealth } from "../../src/upstream/health-tracker";

beforeEach(() => resetUpstreamHealth());

// Failed-attempt counters are per client address, and tests without a cf-connecting-ip header all share
// "local": each test starts with clean counters (the edge-limit tests count within one test).
import { runInDurableObject } from "cloudflare:test";

beforeEach(async () => {
  for (const surface of ["login", "bearer", "webhook"])
    await runInDurableObject(env.RATE_LIMITER.getByName(`${surface}:local`), (_i, state) => state.storage.deleteAll());
});
