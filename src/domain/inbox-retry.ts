// How a WalletActor inbox row is retried after a failed step, and when it is parked instead.

export const backoffMs = (attempts: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));

/**
 * Failed attempts after which an inbox row is parked instead of retried (issue 9, item 13): with the backoff
 * above that is about 5 minutes of retries — far past the age a BUY may be copied at, and long enough to
 * ride out a transient outage; an input that can never be processed (a timestamp no Date can hold) stops
 * costing an alarm a minute. The row is kept (`dead`) and can be requeued through the API.
 */
export const MAX_INBOX_ATTEMPTS = 10;

/** The row's next attempt after one more failure: parked (retried at once, to write its signal) or backed off. */
export function afterFailure(previousAttempts: number, nowMs: number) {
  const attempts = previousAttempts + 1;
  const park = attempts >= MAX_INBOX_ATTEMPTS;
  return { attempts, park, next_attempt_ms: park ? nowMs : nowMs + backoffMs(attempts) };
}
