/**
 * Seeds a large watchlist straight into D1 (wallets, closed positions, signals) in a few set statements,
 * for the performance recompute test and benchmark.
 */
export async function seedBook(
  d1: D1Database,
  opts: { wallets: number; positionsPerWallet: number; signalsPerWallet: number; tag: string; now: number },
) {
  const { wallets: nW, positionsPerWallet: nP, signalsPerWallet: nS, tag, now } = opts;
  const iso = (ms: number) => new Date(ms).toISOString();
  const addrs = Array.from({ length: nW }, (_, i) =>
    `${tag}${String(i).padStart(6, "0")}`.padEnd(44, "W").slice(0, 44),
  );
  for (let i = 0; i < addrs.length; i += 500)
    await d1
      .prepare(
        "INSERT INTO wallets (address, is_active) SELECT value, 1 FROM json_each(?) WHERE true ON CONFLICT DO NOTHING",
      )
      .bind(JSON.stringify(addrs.slice(i, i + 500)))
      .run();
  const ids = (
    await d1
      .prepare("SELECT id, address FROM wallets WHERE address IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(addrs))
      .all<{ id: number; address: string }>()
  ).results;
  const positions: unknown[] = [];
  const signals: unknown[] = [];
  for (const w of ids) {
    for (let j = 0; j < nP; j++)
      positions.push({
        id: `bench_${tag}_${w.id}_${j}`,
        wallet_id: w.id,
        addr: w.address,
        pnl: ((w.id * 7 + j * 13) % 21) - 10,
        opened: iso(now - (j + 2) * 86_400_000),
        closed: iso(now - (j + 1) * 86_400_000),
      });
    for (let j = 0; j < nS; j++)
      signals.push({
        sig: `bench_${tag}_${w.id}_${j}`,
        wallet_id: w.id,
        addr: w.address,
        at: iso(now - j * 3_600_000),
        filtered: j % 3 === 0 ? 1 : 0,
      });
  }
  for (let i = 0; i < positions.length; i += 1000)
    await d1
      .prepare(
        `INSERT INTO positions (id, wallet_id, source_wallet_address, token_mint, token_decimals, mode, status,
           entry_price_usd, entry_amount, entry_cost_usd, current_amount, total_pnl_usd, realized_pnl_usd, opened_at, closed_at)
         SELECT json_extract(value,'$.id'), json_extract(value,'$.wallet_id'), json_extract(value,'$.addr'), 'BenchMint', 6,
           'simulation', 'closed', 1, '1000', 10, '0', json_extract(value,'$.pnl'), json_extract(value,'$.pnl'),
           json_extract(value,'$.opened'), json_extract(value,'$.closed')
         FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
      )
      .bind(JSON.stringify(positions.slice(i, i + 1000)))
      .run();
  for (let i = 0; i < signals.length; i += 1000)
    await d1
      .prepare(
        `INSERT INTO signals (transaction_signature, wallet_id, wallet_address, signal_type, filtered, webhook_received_at, raw_payload, created_at)
         SELECT json_extract(value,'$.sig'), json_extract(value,'$.wallet_id'), json_extract(value,'$.addr'), 'buy',
           json_extract(value,'$.filtered'), json_extract(value,'$.at'), '{}', json_extract(value,'$.at')
         FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
      )
      .bind(JSON.stringify(signals.slice(i, i + 1000)))
      .run();
  return ids.map((w) => w.id);
}
