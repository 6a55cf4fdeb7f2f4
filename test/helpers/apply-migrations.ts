import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files run before each test file; applying is idempotent (tracked in d1_migrations).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The upstream circuit breaker is per isolate and shared by every test of a file: each test starts closed,
// so a test that makes an upstream fail on purpose never makes the next one skip it.
import { beforeEach } from "vitest";
import { resetUpstreamHealth } from "../../src/upstream/health-tracker";

beforeEach(() => resetUpstreamHealth());
