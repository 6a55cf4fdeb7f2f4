import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { waitFor } from "./execution";

/** The singleton PriceFeed every price read goes through. */
export const priceFeed = () => env.PRICE_FEED.getByName("default");

type FeedInternals = {
  tracked: Map<string, unknown>;
  piggybacked: Map<string, unknown>;
  unpriced: Map<string, unknown>;
};

/** Waits until the feed has no round collecting and none in flight. */
export async function feedIdle(): Promise<void> {
  await waitFor(async () => {
    const st = await priceFeed().status();
    return st.in_flight === false && st.collecting === 0;
  });
}

/** Forgets the prices the feed fetched ahead (piggybacked or read ahead): the next request for them asks upstream. */
export async function forgetFetchedAhead(): Promise<void> {
  await runInDurableObject(priceFeed(), (i) => (i as unknown as FeedInternals).piggybacked.clear());
}

/**
 * Forgets the feed's polling rounds: the request history that predicts the next polls, and the prices fetched
 * ahead for them. The feed is one object for a whole test file; without this, the mints an earlier test asked
 * (at real-clock times) stay "due" and can take the free ids a round test counts on, depending on how many
 * seconds separate the two tests (a loaded machine changed the round's call count).
 */
export async function resetFeedRounds(): Promise<void> {
  await runInDurableObject(priceFeed(), (instance, state) => {
    const o = instance as unknown as FeedInternals;
    o.tracked.clear();
    o.piggybacked.clear();
    o.unpriced.clear();
    state.storage.sql.exec("DELETE FROM poll_history");
  });
}
