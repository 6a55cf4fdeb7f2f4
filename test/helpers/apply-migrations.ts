import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files run before each test file; applying is idempotent (tracked in d1_migrations).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

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
