/**
 * Per-wallet performance (DESIGN §4): win rate, PnL, averages, profit ratio, best/worst, streaks,
 * signal and position counts, for the windows all / 30d / 7d / 24h. Pure: plain rows in, numbers out.
 * The caller feeds one mode (simulation or live) at a time, so paper results never mix with real money.
 */
export const PERIOD_MS = { all: null, "30d": 30 * 86_400_000, "7d": 7 * 86_400_000, "24h": 86_400_000 } as const;
export type Period = keyof typeof PERIOD_MS;

export interface ClosedTrade {
  opened_at: string;
  closed_at: string;
  total_pnl_usd: number;
  /** The position's own PnL percent (of its entry cost). */
  pnl_percent: number;
  entry_cost_usd: number;
}

export interface PerformanceInput {
  /** Closed positions of the wallet (any order). */
  closed: readonly ClosedTrade[];
  /** opened_at of every position (open or closed). */
  position_opened_at: readonly string[];
  open_position_count: number;
  /** created_at + filtered of every signal. */
  signals: readonly { created_at: string; filtered: boolean }[];
}

export interface PerformanceStats {
  signal_count: number;
  filtered_signal_count: number;
  position_count: number;
  open_position_count: number;
  closed_position_count: number;
  wins: number;
  losses: number;
  win_rate_percent: number | null;
  total_pnl_usd: number;
  /** Total PnL as a percent of the entry cost of the same closed trades. */
  total_pnl_percent: number | null;
  avg_pnl_usd: number | null;
  avg_win_usd: number | null;
  avg_loss_usd: number | null;
  /** The seed's profit ratio: average win ÷ |average loss|; null without a win and a loss to compare. */
  profit_ratio: number | null;
  /** Gross profit ÷ |gross loss| (the usual profit factor); null when there is no loss to divide by. */
  profit_factor: number | null;
  best_trade_usd: number | null;
  worst_trade_usd: number | null;
  best_trade_percent: number | null;
  worst_trade_percent: number | null;
  /** Mean time from open to close of the closed trades, in minutes. */
  avg_hold_minutes: number | null;
  longest_win_streak: number;
  longest_loss_streak: number;
  /** +n = n wins in a row up to now, −n = n losses. */
  current_streak: number;
}

/** A trade with PnL > 0 is a win, < 0 a loss; break-even counts as neither. */
export function computeStats(input: PerformanceInput, period: Period, now: number): PerformanceStats {
  const span = PERIOD_MS[period];
  const inWindow = (iso: string) => span === null || now - Date.parse(iso) <= span;
  const trades = input.closed
    .filter((t) => inWindow(t.closed_at))
    .sort((a, b) => a.closed_at.localeCompare(b.closed_at));
  const pnls = trades.map((t) => t.total_pnl_usd);
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const avg = (xs: number[]) => (xs.length ? sum(xs) / xs.length : null);

  let longestWin = 0;
  let longestLoss = 0;
  let streak = 0;
  for (const p of pnls) {
    if (p > 0) streak = streak > 0 ? streak + 1 : 1;
    else if (p < 0) streak = streak < 0 ? streak - 1 : -1;
    else streak = 0;
    longestWin = Math.max(longestWin, streak);
    longestLoss = Math.max(longestLoss, -streak);
  }
  const signals = input.signals.filter((s) => inWindow(s.created_at));
  const decided = wins.length + losses.length;
  const avgWin = avg(wins);
  const avgLoss = avg(losses);
  const percents = trades.map((t) => t.pnl_percent);
  const cost = sum(trades.map((t) => t.entry_cost_usd));
  const holds = trades.map((t) => (Date.parse(t.closed_at) - Date.parse(t.opened_at)) / 60_000);
  return {
    signal_count: signals.length,
    filtered_signal_count: signals.filter((s) => s.filtered).length,
    position_count: input.position_opened_at.filter(inWindow).length,
    open_position_count: input.open_position_count,
    closed_position_count: trades.length,
    wins: wins.length,
    losses: losses.length,
    win_rate_percent: decided ? (wins.length / decided) * 100 : null,
    total_pnl_usd: sum(pnls),
    total_pnl_percent: cost > 0 ? (sum(pnls) / cost) * 100 : null,
    avg_pnl_usd: avg(pnls),
    avg_win_usd: avgWin,
    avg_loss_usd: avgLoss,
    profit_ratio: avgWin !== null && avgLoss !== null ? avgWin / Math.abs(avgLoss) : null,
    profit_factor: losses.length ? sum(wins) / Math.abs(sum(losses)) : null,
    best_trade_usd: pnls.length ? Math.max(...pnls) : null,
    worst_trade_usd: pnls.length ? Math.min(...pnls) : null,
    best_trade_percent: percents.length ? Math.max(...percents) : null,
    worst_trade_percent: percents.length ? Math.min(...percents) : null,
    avg_hold_minutes: avg(holds),
    longest_win_streak: longestWin,
    longest_loss_streak: longestLoss,
    current_streak: streak,
  };
}
