import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.ts";

// The recompute benchmark (`npm run bench:recompute`) runs in the same Workers runtime as the tests.
export default mergeConfig(
  base,
  defineConfig({ test: { include: ["bench/**/*.bench-run.ts"], testTimeout: 300_000 } }),
);
