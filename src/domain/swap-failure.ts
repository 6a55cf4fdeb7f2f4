import { attemptBackoffMs } from "./swap-schedule";

/** What a failed execution leads to: dead-lettered, or retried after a backoff. */
export type FailureVerdict =
  | { kind: "dead"; attempts: number }
  | { kind: "retry"; attempts: number; backoff_ms: number };

/**
 * A failure no retry can fix (`permanent`) or one past `max_swap_retries` is given up; any other is retried
 * with exponential backoff. `previous_attempts` is the count before this failure.
 */
export function failureVerdict(
  previous_attempts: number,
  permanent: boolean,
  max_swap_retries: number,
): FailureVerdict {
  const attempts = previous_attempts + 1;
  if (permanent || attempts > max_swap_retries) return { kind: "dead", attempts };
  return { kind: "retry", attempts, backoff_ms: attemptBackoffMs(attempts) };
}
