import type { BreakerBannerData } from "../data";
import { Time } from "../format";
import { Csrf } from "../layout";

/**
 * The circuit breaker on every page, worded the same everywhere: its state, since when, why, and the
 * Stop/Resume form (the same POST routes as before; they come back to the overview).
 */
export function BreakerBanner(props: { breaker: BreakerBannerData; csrf: string }) {
  const b = props.breaker;
  return (
    <section class={b.open ? "breaker open" : "breaker closed"} id="breaker">
      <h2>Circuit breaker: {b.open ? "OPEN — new entries are stopped" : "closed — trading normally"}</h2>
      <p>
        Since <Time iso={b.since} /> · trigger {b.trigger ?? "—"} · reason {b.reason ?? "—"}
        {b.open ? ` · new entries blocked so far: ${b.new_positions_blocked ?? 0}` : ""}
      </p>
      {b.open ? (
        <form method="post" action="/circuit-breaker/resume">
          <Csrf token={props.csrf} />
          <input type="text" name="reason" maxlength={500} placeholder="reason (optional)" />{" "}
          <button type="submit">Resume</button>
        </form>
      ) : (
        <form method="post" action="/circuit-breaker/trip">
          <Csrf token={props.csrf} />
          <input type="text" name="reason" required maxlength={500} placeholder="reason (required)" />{" "}
          <button type="submit">Stop new entries</button>
        </form>
      )}
    </section>
  );
}
