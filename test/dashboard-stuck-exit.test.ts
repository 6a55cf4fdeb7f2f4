import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { mint } from "./helpers/execution";
import { openPosition } from "./helpers/positions";
import { quiesceActors } from "./helpers/quiesce";
import { ui, uiLogin } from "./helpers/ui";

afterAll(quiesceActors);

/** Issue 11: a live exit with no route marks its position stuck; the operator sees it on the position page. */
describe("position page: stuck exit", () => {
  it("shows the stuck exit (order, why, since) while it is stuck, and nothing once it is cleared", async () => {
    const { id, actor } = await openPosition(mint("STUCK"), { entry_price_usd: 1 });
    await actor.flushD1();
    const cookie = await uiLogin();

    const clear = await ui("GET", `/positions/${id}`, { cookie });
    expect(clear.status).toBe(200);
    expect(clear.text).not.toContain('id="stuck-exit"');

    await actor.exitStuck("ord_stuck_exit_1", true, "COULD_NOT_FIND_ANY_ROUTE");
    const stuck = await ui("GET", `/positions/${id}`, { cookie });
    const banner = /<p class="stuck-exit" id="stuck-exit"[\s\S]*?<\/p>/.exec(stuck.text)?.[0] ?? "";
    expect(banner).toContain("ord_stuck_exit_1");
    expect(banner).toContain("COULD_NOT_FIND_ANY_ROUTE");
    expect(banner).toContain("keeps retrying");

    await actor.exitStuck("ord_stuck_exit_1", false, null);
    expect((await ui("GET", `/positions/${id}`, { cookie })).text).not.toContain('id="stuck-exit"');
    expect(await env.POSITION_ACTOR.getByName(id).summary()).toMatchObject({ stuck_exit: null });
  });
});
