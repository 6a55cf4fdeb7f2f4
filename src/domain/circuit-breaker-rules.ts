/**
 * Automatic circuit-breaker rules (DESIGN §4, ADR-004): trip on max drawdown, on a win rate below the
 * minimum over the recent window, or on N consecutive losses. Pure: closed trades in, decision out.
 * Only trades closed after the last reset count, so a manual reset is not undone by the same history.
 */
export interface BreakerThresholds {
  capital_usd: number;
  max_drawdown_percent: number;
  min_win_rate_percent: number;
  win_rate_window: number;
  consecutive_loss_limit: number;
}

export interface BreakerMetrics {
  trades_considered: number;
  drawdown_percent: number;
  equity_usd: number;
  peak_equity_usd: number;
  /** Over the last `win_rate_window` trades; null until that many trades exist (too few to judge). */
  win_rate_percent: number | null;
  consecutive_losses: number;
}

export type BreakerTrigger = "max_drawdown" | "win_rate" | "consecutive_losses";

export interface BreakerDecision {
  trip: boolean;
  trigger: BreakerTrigger | null;
  reason: string | null;
  metrics: BreakerMetrics;
}

/**
 * @param pnls closed-trade PnL in USD, oldest first
 * @param unrealized_usd current unrealized PnL of open positions (counts toward equity now)
 */
export function evaluateBreaker(
  pnls: readonly number[],
  unrealized_usd: number,
  t: BreakerThresholds,
): BreakerDecision {
  let equity = t.capital_usd;
  let peak = equity;
  let maxDrawdown = 0;
  for (const p of pnls) {
    equity += p;
    peak = Math.max(peak, equity);
    if (peak > 0) maxDrawdown = Math.max(maxDrawdown, ((peak - equity) / peak) * 100);
  }
  const now = equity + unrealized_usd;
  if (peak > 0) maxDrawdown = Math.max(maxDrawdown, ((peak - now) / peak) * 100);

  const window = pnls.slice(-t.win_rate_window);
  const decided = window.filter((p) => p !== 0);
  const winRate =
    window.length >= t.win_rate_window && decided.length > 0
      ? (decided.filter((p) => p > 0).length / decided.length) * 100
      : null;
  let losses = 0;
  for (let i = pnls.length - 1; i >= 0 && (pnls[i] as number) < 0; i--) losses++;

  const metrics: BreakerMetrics = {
    trades_considered: pnls.length,
    drawdown_percent: maxDrawdown,
    equity_usd: now,
    peak_equity_usd: peak,
    win_rate_percent: winRate,
    consecutive_losses: losses,
  };
  const decide = (trigger: BreakerTrigger, reason: string): BreakerDecision => ({
    trip: true,
    trigger,
    reason,
    metrics,
  });
  if (maxDrawdown >= t.max_drawdown_percent)
    return decide("max_drawdown", `drawdown ${maxDrawdown.toFixed(2)} % reached the ${t.max_drawdown_percent} % limit`);
  if (losses >= t.consecutive_loss_limit)
    return decide("consecutive_losses", `${losses} consecutive losses (limit ${t.consecutive_loss_limit})`);
  if (winRate !== null && winRate < t.min_win_rate_percent)
    return decide(
      "win_rate",
      `win rate ${winRate.toFixed(1)} % over the last ${t.win_rate_window} trades is below ${t.min_win_rate_percent} %`,
    );
  return { trip: false, trigger: null, reason: null, metrics };
}
