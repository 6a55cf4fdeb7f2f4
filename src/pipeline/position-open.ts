import type { OpenPositionInput } from "../domain/position";
import { urgentSeconds } from "../domain/position-calls";
import { pollSchedule } from "../domain/position-poll";
import { newPositionState, openProblem } from "../domain/position-state";
import { log } from "../lib/logger";
import { nowIso } from "../lib/time";
import { rearmIfLost } from "./position-alarm";
import { positionTemplate } from "./position-config";
import { applyOwedMirrors } from "./position-owed-mirrors";
import { openState, type PositionPorts } from "./position-ports";
import { firstPollDelay } from "./position-price";

export type OpenResult = { position_id: string; created: boolean };

/**
 * Opens the position from its entry fill (PositionActor.open). Idempotent: a repeat changes nothing in the
 * position but re-arms a lost poll and re-writes the D1 row, so an owed open retried by the queue heals it.
 */
export async function openPosition(p: PositionPorts, input: OpenPositionInput): Promise<OpenResult> {
  if (p.state()) {
    const reopened = await reopen(p);
    await applyOwedMirrorsOf(p);
    return reopened;
  }
  const problem = openProblem(input);
  if (problem) throw new TypeError(`invalid open input: ${problem}`);
  // The queue hands its hot state with the fill (template, versioned config): the open reads nothing.
  if (input.hot) p.hot.apply(input.hot);
  // Every read first: nothing is decided until all awaits are done. The tokens are bought, so the position
  // opens from its fill alone: a template or config that cannot be read now is read by the first alarm.
  const template =
    input.template ??
    (await positionTemplate(p.db(), input.exit_strategy_id).catch((err) => {
      log.warn("position_template_deferred", { position_id: input.position_id, error: String(err) });
      return null;
    }));
  const cfg = p.hot.current()?.data.config ?? (await p.hotConfig().catch(() => null));
  const urgent = urgentSeconds(cfg);
  const firstPollMs = await firstPollDelay(p.env(), input.token_mint, urgent);
  if (p.state()) return reopen(p); // a concurrent open won while this one awaited
  const now = Date.now();
  p.setState(newPositionState(input, template, now));
  const st = openState(p);
  Object.assign(st, pollSchedule(now, urgent, "urgent"));
  st.next_poll_at = nowIso(now + firstPollMs);
  // State and alarm in the same storage write: no await between deciding and persisting.
  p.save();
  const armed = p.storage().setAlarm(now + firstPollMs);
  await armed;
  // The D1 row is written behind (issue 10): the queue owes a `d1_position` step that calls flushD1 until
  // it is written, and every alarm writes it again; the open itself never waits for D1.
  p.waitUntil(
    p.d1.sync().catch((e) => log.warn("position_sync_failed", { position_id: input.position_id, error: String(e) })),
  );
  log.info("position_opened", { position_id: input.position_id, mint: input.token_mint, cost: input.entry_cost_usd });
  await applyOwedMirrorsOf(p);
  return { position_id: input.position_id, created: true };
}

/** A repeated open: the position exists; make sure it polls and that D1 has its row. */
async function reopen(p: PositionPorts): Promise<OpenResult> {
  const st = openState(p);
  if (st.status !== "closed") await rearmIfLost(p.storage(), st.id, "open");
  await p.d1.sync();
  return { position_id: st.id, created: false };
}

/** The mirror exits owed from before the open (src/pipeline/position-owed-mirrors.ts). */
export async function applyOwedMirrorsOf(p: PositionPorts): Promise<void> {
  const st = p.state();
  if (!st) return;
  await applyOwedMirrors(p.exits, st.id, (req) => p.mirrorExit(req));
}
