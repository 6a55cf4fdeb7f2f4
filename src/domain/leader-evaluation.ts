import type { PollConfig } from "./exit-rules";
import type { StrategyRules } from "./exit-strategy";
import { winRate } from "./live-gate";
import { SIM_DECIMALS, type SimLeaderSale, type SimTick, simulateStrategy } from "./strategy-simulator";

/**
 * Leader evaluation (issue 14): the leader's own trades replayed as copies under an exit strategy, with
 * the simulator (the PositionActor's per-tick code). Each first BUY of a mint is a copy entered at the
 * leader's price; the later trade prices of that mint are its price path and the leader's later SELLs
 * are mirrored with the share of its holding they sold. Prices are compared as ratios, so a mint is priced
 * in one unit throughout (SOL when its entry had a SOL price, else USD).
 */
export interface LeaderTrade {
  signature: string;
  side: "buy" | "sell";
  mint: string;
  /** Seconds (chain clock). */
  time_s: number;
  /** Slot for chain order at equal times; 0 when unknown. */
  slot: number;
  /** Token amount in whole tokens. */
  token_ui: number;
  price_sol: number | null;
  price_usd: number | null;
}

export interface EvaluatedTrade {
  mint: string;
  entry_signature: string;
  entry_time_s: number;
  exits: number;
  exit_reason: string | null;
  status: "open" | "closed";
  pnl_percent: number;
  win: boolean;
}

export interface LeaderEvaluation {
  trades_observed: number;
  wins: number;
  losses: number;
  win_rate_percent: number | null;
  avg_pnl_percent: number | null;
  /** First buys with no later price or sale: nothing to evaluate them on. */
  skipped: number;
  trades: EvaluatedTrade[];
}

const NOMINAL_USD = 100;

export function evaluateLeader(
  trades: readonly LeaderTrade[],
  rules: StrategyRules,
  poll: PollConfig,
): LeaderEvaluation {
  const ordered = [...trades].sort((a, b) => a.time_s - b.time_s || a.slot - b.slot);
  const byMint = new Map<string, LeaderTrade[]>();
  for (const t of ordered) byMint.set(t.mint, [...(byMint.get(t.mint) ?? []), t]);
  const out: EvaluatedTrade[] = [];
  let skipped = 0;
  for (const [mint, list] of byMint) {
    const entryIdx = list.findIndex((t) => t.side === "buy" && (t.price_sol ?? t.price_usd) != null);
    if (entryIdx < 0) continue;
    const entry = list[entryIdx] as LeaderTrade;
    const unit: "price_sol" | "price_usd" = entry.price_sol != null ? "price_sol" : "price_usd";
    const entryPrice = entry[unit] as number;
    // The leader's holding from its trades in chain order (what it held before the first buy is unknown: 0).
    let holding = 0;
    for (const t of list.slice(0, entryIdx + 1)) holding += t.side === "buy" ? t.token_ui : -t.token_ui;
    const ticks: SimTick[] = [];
    const sales: SimLeaderSale[] = [];
    for (const t of list.slice(entryIdx + 1)) {
      const at = Math.max(0, t.time_s - entry.time_s);
      const price = t[unit];
      if (price != null && price > 0) {
        const last = ticks.at(-1);
        if (last && last.at_seconds === at) last.price_usd = price;
        else ticks.push({ at_seconds: at, price_usd: price });
      }
      if (t.side === "sell") {
        const fraction = holding > 0 ? Math.min(1, t.token_ui / holding) : 1;
        holding = Math.max(0, holding - t.token_ui);
        sales.push({ at_seconds: at, fraction: holding <= 1e-12 ? 1 : fraction });
      } else holding += t.token_ui;
    }
    if (ticks.length === 0 && sales.length === 0) {
      skipped++;
      continue;
    }
    const entryAmount = BigInt(Math.max(1, Math.floor((NOMINAL_USD / entryPrice) * 10 ** SIM_DECIMALS)));
    const r = simulateStrategy({
      rules,
      entry_price_usd: entryPrice,
      entry_amount: entryAmount,
      entry_cost_usd: NOMINAL_USD,
      ticks,
      leader_sales: sales,
      poll,
    });
    out.push({
      mint,
      entry_signature: entry.signature,
      entry_time_s: entry.time_s,
      exits: r.exits.length,
      exit_reason: r.exit_reason,
      status: r.status,
      pnl_percent: r.pnl_percent,
      win: r.total_pnl_usd > 0,
    });
  }
  const wins = out.filter((t) => t.win).length;
  return {
    trades_observed: out.length,
    wins,
    losses: out.length - wins,
    win_rate_percent: winRate(wins, out.length),
    avg_pnl_percent: out.length ? out.reduce((s, t) => s + t.pnl_percent, 0) / out.length : null,
    skipped,
    trades: out,
  };
}
