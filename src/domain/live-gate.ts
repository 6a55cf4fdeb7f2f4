/**
 * The live gate (issue 14): a wallet may trade real money only once it has shown, under WallTrack's own
 * exit code, enough trades at a high enough win rate — either in an evaluation (POST /wallets/{id}/evaluate)
 * or in the copies it made in simulation. Pure: the router gathers the numbers.
 */
export interface TrackRecord {
  trades: number;
  /** null when there is no trade to rate. */
  win_rate_percent: number | null;
}

export interface LiveGateInput {
  /** The last evaluation, null when never evaluated. */
  evaluation: (TrackRecord & { evaluated_at: string }) | null;
  /** Closed simulation positions copied from the wallet. */
  simulation: TrackRecord;
  live_min_trades: number;
  live_min_win_rate_percent: number;
}

export type LiveGateResult = { ok: true; by: "evaluation" | "simulation" } | { ok: false; detail: string };

const passes = (r: TrackRecord, g: LiveGateInput) =>
  r.trades >= g.live_min_trades &&
  (g.live_min_trades === 0 || (r.win_rate_percent ?? 0) >= g.live_min_win_rate_percent - 1e-9);

const fmt = (r: TrackRecord) =>
  `${r.trades} trade(s)${r.win_rate_percent == null ? "" : ` at ${Number(r.win_rate_percent.toFixed(2))} % win rate`}`;

export function liveGate(g: LiveGateInput): LiveGateResult {
  if (g.evaluation && passes(g.evaluation, g)) return { ok: true, by: "evaluation" };
  if (passes(g.simulation, g)) return { ok: true, by: "simulation" };
  return {
    ok: false,
    detail:
      `mode: live needs at least ${g.live_min_trades} evaluated or simulated trade(s) at a win rate of at least ` +
      `${g.live_min_win_rate_percent} % (live_min_trades, live_min_win_rate_percent); ` +
      `evaluation: ${g.evaluation ? `${fmt(g.evaluation)} (${g.evaluation.evaluated_at})` : "none"}; ` +
      `simulation copies: ${fmt(g.simulation)}. Evaluate the wallet (POST /api/v1/wallets/{id}/evaluate), ` +
      "or override with ?force=true (recorded)",
  };
}

export const winRate = (wins: number, trades: number): number | null => (trades > 0 ? (wins / trades) * 100 : null);
