import { env } from "cloudflare:workers";
import { SIGNALS_READ_COLUMNS } from "../../src/db/signal-outcomes";

/** D1 rows of one mint, oldest first — what the pipeline wrote, read back for assertions. */
const byMint = (table: "positions" | "orders" | "signals", order: string) => (mint: string) =>
  // Signals as the read model shows them: the queue's later refusal is a signal_outcomes row (issue 16).
  env.DB.prepare(
    `SELECT ${table === "signals" ? SIGNALS_READ_COLUMNS : "*"} FROM ${table} WHERE token_mint = ? ORDER BY ${order}`,
  )
    .bind(mint)
    .all<any>()
    .then((r) => r.results);

export const positionsOf = byMint("positions", "opened_at");
export const ordersOf = byMint("orders", "requested_at");
export const signalsOf = byMint("signals", "id");
