import { defineConfig } from "drizzle-kit";

// Generates SQL into migrations/; `wrangler d1 migrations apply` runs them (local and remote).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
