import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runRetention } from "../src/jobs/retention";
import { runJob } from "../src/jobs/run-job";
import { api } from "./helpers/api";

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

describe("retention of notifications and rate-limit counters (issue 12)", () => {
  it("deletes delivered notifications and usage windows older than retention_days; a pending notification stays owed", async () => {
    await env.DB.batch([env.DB.prepare("DELETE FROM notifications"), env.DB.prepare("DELETE FROM rate_usage")]);
    await env.DB.prepare(
      `INSERT INTO notifications (channel, event_key, kind, payload, status, next_attempt_at, created_at) VALUES
         ('telegram', 'old-delivered', 'alert', '{}', 'delivered', ?1, ?1),
         ('telegram', 'old-pending', 'alert', '{}', 'pending', ?1, ?1),
         ('telegram', 'new-delivered', 'alert', '{}', 'delivered', ?2, ?2)`,
    )
      .bind(daysAgo(100), daysAgo(1))
      .run();
    await env.DB.prepare(
      `INSERT INTO rate_usage (metric, window, count, updated_at) VALUES
         ('jupiter.price', '2026-01-01T00:00', 5, ?1), ('jupiter.price', 'recent', 3, ?2)`,
    )
      .bind(daysAgo(100), daysAgo(0))
      .run();

    // Archived first: the old delivered one is in the export.
    const exported = await api("GET", `/api/v1/export/notifications?before=${encodeURIComponent(daysAgo(90))}`);
    expect(exported.status).toBe(200);
    expect(String(exported.body)).toContain("old-delivered");

    const run = await runJob(env, "retention", "0 0 * * *", runRetention);
    expect(run.status).toBe("ok");
    const keys = (await env.DB.prepare("SELECT event_key FROM notifications ORDER BY id").all<any>()).results;
    expect(keys.map((k) => k.event_key)).toEqual(["old-pending", "new-delivered"]);
    const windows = (await env.DB.prepare("SELECT window FROM rate_usage").all<any>()).results;
    expect(windows.map((w) => w.window)).toEqual(["recent"]);
  });
});
