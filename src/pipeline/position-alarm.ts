import { log } from "../lib/logger";

/**
 * An open position must always have its poll alarm: alarms stop being retried after six failures, so a lost
 * one is re-armed, due now. Returns whether it had to.
 */
export async function rearmIfLost(storage: DurableObjectStorage, positionId: string, by?: "open"): Promise<boolean> {
  if ((await storage.getAlarm()) != null) return false;
  await storage.setAlarm(Date.now());
  log.warn("position_alarm_rearmed", by ? { position_id: positionId, by } : { position_id: positionId });
  return true;
}
