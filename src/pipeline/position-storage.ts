import { type PositionState, upgradeState } from "../domain/position-state";

/**
 * The PositionActor's own SQLite: its state (one JSON row), the exits it decided (by idempotency key), the
 * fills applied (by order id), manual requests by Idempotency-Key, recent price ticks and mirror exits owed
 * to a position not opened yet. Created idempotently at every start.
 */
export function createPositionTables(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS position_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS exits (
    key TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    amount TEXT NOT NULL,
    full INTEGER NOT NULL,
    level INTEGER,
    signal_id INTEGER,
    price_usd REAL,
    state TEXT NOT NULL,
    order_id TEXT,
    created_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS fills (
    order_id TEXT PRIMARY KEY,
    sold_amount TEXT NOT NULL,
    proceeds_usd REAL NOT NULL,
    price_usd REAL NOT NULL,
    reason TEXT NOT NULL,
    filled_at TEXT NOT NULL
  )`);
  // Manual exits by Idempotency-Key: a retried request or a double-submitted form finds its first
  // answer here (written in the same transaction as the exit it decided) instead of selling again.
  sql.exec(`CREATE TABLE IF NOT EXISTS manual_requests (
    idempotency_key TEXT PRIMARY KEY,
    percent REAL NOT NULL,
    exit_key TEXT NOT NULL,
    amount TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS ticks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    price_usd REAL,
    source TEXT
  )`);
  // Mirror exits owed to a position not opened yet (its entry executing or filled when the leader sold), by sale
  // key (position-exits.ts mirrorSaleKey); `owed_mirrors` holds those owed by older versions, by signal id.
  sql.exec(`CREATE TABLE IF NOT EXISTS owed_mirror_exits (
    sale_key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS owed_mirrors (
    signal_id INTEGER PRIMARY KEY,
    request TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`);
}

/** The persisted state (upgraded from an older version's shape), or null before the open. */
export function loadPositionState(sql: SqlStorage): PositionState | null {
  const row = sql.exec<{ json: string }>("SELECT json FROM position_state WHERE id = 1").toArray()[0];
  return row ? upgradeState(JSON.parse(row.json) as PositionState) : null;
}

/** Bumps the state's version and writes it (the D1 row carries the version; see PositionD1Writer). */
export function savePositionState(sql: SqlStorage, st: PositionState): void {
  st.version = (st.version ?? 0) + 1;
  sql.exec(
    "INSERT INTO position_state (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
    JSON.stringify(st),
  );
}
