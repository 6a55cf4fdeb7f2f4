import { describe, expect, it } from "vitest";
import type { Config } from "../src/domain/config";
import type { StrategyRules } from "../src/domain/exit-strategy";
import type { QueueHotState } from "../src/pipeline/queue-hot-state";
import { positionSnapshot, positionStartOf } from "../src/pipeline/queue-position-hot";

const rules = (stop: number) => ({ stop_loss_percent: stop }) as unknown as StrategyRules;
const data: QueueHotState = {
  config: { max_signal_age_seconds: 60 } as Config,
  breaker: { open: false } as QueueHotState["breaker"],
  strategies: [
    { id: 1, is_default: false, rules: rules(10) },
    { id: 2, is_default: true, rules: rules(20) },
  ],
};

describe("what the queue's hot snapshot hands to positions (src/pipeline/queue-position-hot.ts)", () => {
  it("answers a position's config only when the queue holds a newer version", () => {
    expect(positionSnapshot(data, 5, null)).toEqual({ version: 5, data: { config: data.config } });
    expect(positionSnapshot(data, 5, 4)).toEqual({ version: 5, data: { config: data.config } });
    expect(positionSnapshot(data, 5, 5)).toBeNull();
    expect(positionSnapshot(data, 5, 6)).toBeNull();
  });

  it("opens a filled entry with its strategy, else the default, and the versioned config", () => {
    const snap = { version: 3, data };
    expect(positionStartOf(snap, 1)).toEqual({
      template: { id: 1, rules: rules(10) },
      hot: { version: 3, data: { config: data.config } },
    });
    expect(positionStartOf(snap, 99).template).toEqual({ id: 2, rules: rules(20) });
    expect(positionStartOf(snap, null).template?.id).toBe(2);
    expect(positionStartOf({ version: 1, data: { ...data, strategies: [] } }, 1)).toEqual({
      hot: { version: 1, data: { config: data.config } },
    });
    expect(positionStartOf(null, 1)).toEqual({});
  });
});
