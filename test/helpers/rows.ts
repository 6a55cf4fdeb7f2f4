import { env } from "cloudflare:workers";

/** D1 rows of one mint, oldest first — what the pipeline wrote, read back for assertions. */
const byMint = (table: "positions" | "orders" | "signals", order: string) => (mint: string) =>
  env.DB.prepare(`SELECT * FROM ${table} WHERE token_mint = ? ORDER BY ${order}`)
    .bind(mint)
    .all<any>()
    .then((r) => r.results);

export const positionsOf = byMint("positions", "opened_at");
export const ordersOf = byMint("orders", "requested_at");
export const signalsOf = byMint("signals", "id");
