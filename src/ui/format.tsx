/** Display formatting for the dashboard: readable numbers, short addresses, compact timestamps. */
const usdFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function usd(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  const s = usdFmt.format(Math.abs(n));
  return n < 0 ? `-$${s}` : `$${s}`;
}

export function pct(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  return `${n.toFixed(1)} %`;
}

/** Prices of memecoins span many orders of magnitude: 4 significant digits. */
export function price(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  if (n !== 0 && Math.abs(n) < 0.01) return `$${n.toPrecision(4)}`;
  return `$${usdFmt.format(n)}`;
}

export function sol(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  return `${n.toFixed(3)} SOL`;
}

export function short(addr: string | null | undefined): string {
  if (!addr) return "—";
  return addr.length > 12 ? `${addr.slice(0, 4)}…${addr.slice(-4)}` : addr;
}

/** `2026-11-21T10:09:28.123Z` → `2026-11-21 10:09:28Z`. */
export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Share of the entry amount still held, from base-unit integer strings. */
export function amountLeftPercent(current: string, entry: string): number | null {
  try {
    const e = BigInt(entry);
    if (e <= 0n) return null;
    return Number((BigInt(current) * 10000n) / e) / 100;
  } catch {
    return null;
  }
}

export const pnlClass = (n: number | null | undefined) => (n == null || n === 0 ? "" : n > 0 ? "pos" : "neg");

/** A timestamp the browser rewrites into its own time zone (dashboard.js); the UTC text stays as fallback. */
export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <>—</>;
  return <time datetime={props.iso}>{time(props.iso)}</time>;
}

/** Token links: Solscan (the mint on chain) and DexScreener (its market). */
export const solscanToken = (mint: string) => `https://solscan.io/token/${encodeURIComponent(mint)}`;
export const dexscreenerToken = (mint: string) => `https://dexscreener.com/solana/${encodeURIComponent(mint)}`;
