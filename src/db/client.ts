import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const make = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof make>;

/**
 * One drizzle instance per D1 binding object. Building one walks the whole schema for its relational config
 * (extractTablesRelationalConfig): in the ingest profile that was ~9% of the isolate's CPU, paid on every
 * `getDb` call (docs/perf-ingest.md). The instance holds no per-request state, only the binding; a
 * different binding object (a test's fault-injecting wrapper) gets its own.
 */
const instances = new WeakMap<D1Database, Db>();

export function getDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = make(d1);
    instances.set(d1, db);
  }
  return db;
}
