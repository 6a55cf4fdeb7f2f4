import { applyExitFill, type PollConfig, positionPnl, toUi } from "./exit-rules";
import type { StrategyRules } from "./exit-strategy";
import { mirrorExitAmount, positionTick } from "./position-tick";
import type { ExitReason } from "./vocabulary";

/**
 * The strategy simulator (issue 14): a position's life on a given price path, computed by the same
 * per-tick function the PositionActor runs (`positionTick`) and the same mirror sizing (`mirrorExitAmount`).
 *
 * Its one modelling choice is the fill: an exit fills at once, at the tick price that triggered it (DESIGN
 * §4 "exits fill at the tick price"); a mirrored leader sale fills at the price of a tick at the same time,
 * else at the last price seen before it (the entry price before the first tick). The actor's fills arrive
 * from the SwapQueue later, at the market price; the agreement test applies them the same way.
 */
export const SIM_DECIMALS = 6;

export interface SimTick {
  at_seconds: number;
  price_usd: number;
}

export interface SimLeaderSale {
  at_seconds: number;
  /** Share of its holding the leader sold, in (0, 1]. */
  fraction: number;
}

export interface SimInput {
  rules: StrategyRules;
  entry_price_usd: number;
  /** Entry amount in base units (SIM_DECIMALS decimals). */
  entry_amount: bigint;
  entry_cost_usd: number;
  ticks: readonly SimTick[];
  leader_sales?: readonly SimLeaderSale[];
  poll: PollConfig;
}

export interface SimExit {
  at_seconds: number;
  reason: ExitReason;
  amount: bigint;
  /** Share of the ORIGINAL amount this exit sold. */
  fraction_of_entry: number;
  price_usd: number;
  proceeds_usd: number;
  /** Scaling level multiple, for scaling_out. */
  level?: number;
}

export interface SimResult {
  exits: SimExit[];
  status: "open" | "closed";
  exit_reason: ExitReason | null;
  remaining_amount: bigint;
  remaining_fraction: number;
  last_price_usd: number;
  realized_pnl_usd: number;
  unrealized_pnl_usd: number;
  total_pnl_usd: number;
  pnl_percent: number;
  /** The poll interval the actor would have chosen after each tick (seconds), in tick order. */
  poll_seconds: number[];
}

type Event = { kind: "sale"; at: number; fraction: number } | { kind: "tick"; at: number; price: number };

/** Time-ordered events; at the same time a leader sale goes first (mirror > every other rule). */
function events(input: SimInput): Event[] {
  const out: Event[] = [
    ...(input.leader_sales ?? []).map((s) => ({ kind: "sale" as const, at: s.at_seconds, fraction: s.fraction })),
    ...input.ticks.map((t) => ({ kind: "tick" as const, at: t.at_seconds, price: t.price_usd })),
  ];
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || (a.e.kind === b.e.kind ? a.i - b.i : a.e.kind === "sale" ? -1 : 1))
    .map(({ e }) => e);
}

export function simulateStrategy(input: SimInput): SimResult {
  const { rules } = input;
  const openedAt = 0;
  let current = input.entry_amount;
  let peak = input.entry_price_usd;
  let trailing = false;
  let hit: number[] = [];
  let sold = 0n;
  let proceedsTotal = 0;
  let realized = 0;
  let lastPrice = input.entry_price_usd;
  let firstFullReason: ExitReason | null = null;
  const exits: SimExit[] = [];
  const pollSeconds: number[] = [];
  const noPending = { full: false, partial: 0n };
  const tickPriceAt = (at: number) => input.ticks.find((t) => t.at_seconds === at)?.price_usd;

  const fill = (at: number, reason: ExitReason, amount: bigint, full: boolean, price: number, level?: number) => {
    const proceeds = toUi(amount, SIM_DECIMALS) * price;
    const r = applyExitFill({
      entry_amount: input.entry_amount,
      entry_cost_usd: input.entry_cost_usd,
      current_amount: current,
      sold_amount_total: sold,
      exit_proceeds_usd: proceedsTotal,
      realized_pnl_usd: realized,
      decimals: SIM_DECIMALS,
      sold: amount,
      proceeds_usd: proceeds,
    });
    current = r.current_amount;
    sold = r.sold_amount_total;
    proceedsTotal = r.exit_proceeds_usd;
    realized = r.realized_pnl_usd;
    if (full && firstFullReason == null) firstFullReason = reason;
    exits.push({
      at_seconds: at,
      reason,
      amount: r.sold,
      fraction_of_entry: Number(r.sold) / Number(input.entry_amount),
      price_usd: price,
      proceeds_usd: proceeds,
      ...(level !== undefined ? { level } : {}),
    });
  };

  for (const ev of events(input)) {
    if (current <= 0n) break;
    if (ev.kind === "sale") {
      if (!rules.mirror_exit_enabled || !(ev.fraction > 0)) continue;
      const sell = mirrorExitAmount(current, noPending, Math.min(1, ev.fraction));
      if (sell) fill(ev.at, "mirror_exit", sell.amount, sell.full, tickPriceAt(ev.at) ?? lastPrice);
      continue;
    }
    lastPrice = ev.price;
    const out = positionTick(
      {
        entry_price_usd: input.entry_price_usd,
        entry_amount: input.entry_amount,
        current_amount: current,
        peak_price_usd: peak,
        trailing_active: trailing,
        scaling_levels_hit: hit,
        opened_at_ms: openedAt,
      },
      noPending,
      rules,
      ev.price,
      openedAt + ev.at * 1000,
      input.poll,
    );
    peak = out.peak_price_usd;
    trailing = out.trailing_active;
    hit = out.scaling_levels_hit;
    pollSeconds.push(out.poll.seconds);
    for (const a of out.actions) fill(ev.at, a.reason, a.amount, a.full, a.price_usd, a.level);
  }

  const pnl = positionPnl({
    entry_amount: input.entry_amount,
    entry_cost_usd: input.entry_cost_usd,
    current_amount: current,
    decimals: SIM_DECIMALS,
    price_usd: lastPrice,
    realized_pnl_usd: realized,
  });
  const closed = current === 0n;
  return {
    exits,
    status: closed ? "closed" : "open",
    exit_reason: closed ? (firstFullReason ?? exits.at(-1)?.reason ?? null) : null,
    remaining_amount: current,
    remaining_fraction: Number(current) / Number(input.entry_amount),
    last_price_usd: lastPrice,
    ...pnl,
    poll_seconds: pollSeconds,
  };
}
