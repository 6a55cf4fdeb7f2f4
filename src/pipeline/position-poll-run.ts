import { alarmHeartbeat } from "../db/heartbeats";
import type { Config } from "../domain/config";
import { intervalAfterRun, positionRules } from "../domain/position-calls";
import { exitKey } from "../domain/position-exits";
import { pollSchedule, pricedState, tickExitDetail, tickFailure, tickPosition } from "../domain/position-poll";
import { positionTick } from "../domain/position-tick";
import type { PriceQuote } from "../domain/price";
import { log } from "../lib/logger";
import { positionTemplate } from "./position-config";
import { applyOwedMirrorsOf } from "./position-open";
import { enqueueAll, openState, type PositionPorts } from "./position-ports";
import { currentQuote } from "./position-price";

/**
 * One run of the adaptive price poll (PositionActor.alarm). Never throws: a failed run records its error and
 * retries at the urgent interval; the alarm is re-armed and the D1 row written in `finally`.
 */
export async function runPoll(p: PositionPorts): Promise<void> {
  const st = p.state();
  if (!st || st.status === "closed") return;
  let seconds: number | null = null;
  let cfg: Config | null = null;
  const startedAt = Date.now();
  let failure: string | null = null;
  try {
    // Mirror exits owed from before the open (an open that stopped before applying them), then exits decided
    // by a run that stopped before enqueuing them, with their original keys.
    if (st.template_rules == null) await resolveTemplate(p);
    await applyOwedMirrorsOf(p);
    await enqueueAll(p);
    const quote = await currentQuote(p.env(), st.token_mint);
    cfg = await p.hotConfig();
    if (!quote) {
      recordUnavailable(p);
      seconds = cfg.poll_urgent_seconds;
    } else {
      seconds = await tick(p, quote, cfg);
    }
  } catch (err) {
    const s = p.state();
    if (s) {
      s.last_error = tickFailure(err);
      p.save();
    }
    failure = s?.last_error ?? String(err);
    log.warn("position_tick_failed", { position_id: st.id, error: s?.last_error });
  } finally {
    const s = p.state();
    if (s && s.status !== "closed") {
      const next = intervalAfterRun(seconds, cfg);
      const now = Date.now();
      if (next.urgent) Object.assign(s, pollSchedule(now, next.seconds, "urgent"));
      p.save();
      await p.storage().setAlarm(now + next.seconds * 1000);
      await p.d1.sync().catch((e) => log.warn("position_sync_failed", { position_id: s.id, error: String(e) }));
    }
    await alarmHeartbeat(p.env().DB, "position_actor", {
      startedAt,
      outcome: failure ? "error" : "ok",
      error: failure,
    });
  }
}

/** One price tick: PnL, exit evaluation, sells queued. Returns the next poll interval in seconds. */
async function tick(p: PositionPorts, quote: PriceQuote, cfg: Config): Promise<number> {
  const st = openState(p);
  const now = p.now();
  const price = quote.price_usd;
  // The per-tick state handling is the domain's (src/domain/position-tick.ts), shared with the simulator.
  const outcome = positionTick(tickPosition(st), p.exits.pending(), positionRules(st), price, now, cfg);
  Object.assign(st, pricedState(quote, outcome));
  // Recorded before any enqueue (same synchronous storage transaction as the state).
  p.storage().transactionSync(() => {
    for (const a of outcome.actions) {
      const key = exitKey(st, a.reason, tickExitDetail(a));
      p.exits.record(key, a.reason, a.amount, a.full, a.level ?? null, null, a.price_usd);
    }
    if (outcome.closing) st.status = "closing";
    p.exits.saveTick(price, quote.source);
    p.save();
  });
  await enqueueAll(p);
  Object.assign(openState(p), pollSchedule(now, outcome.poll.seconds, outcome.poll.mode));
  return outcome.poll.seconds;
}

/** A position opened before its template could be read gets it now (from the alarm, before any exit). */
async function resolveTemplate(p: PositionPorts): Promise<void> {
  const st = openState(p);
  const template = await positionTemplate(p.db(), st.exit_strategy_id);
  const cur = p.state();
  if (!cur || cur.template_rules) return;
  cur.template_rules = template.rules;
  cur.exit_strategy_id = template.id;
  p.save();
  log.info("position_template_loaded", { position_id: st.id, exit_strategy_id: template.id });
}

function recordUnavailable(p: PositionPorts): void {
  const st = openState(p);
  st.last_error = "price unavailable";
  st.price_source = null;
  p.exits.saveTick(null, null);
  p.save();
}
