import type { Db } from "../db/client";
import type { Config } from "../domain/config";
import type { PositionState } from "../domain/position-state";
import type { MirrorExitRequest, MirrorExitResult } from "../domain/swap-order";
import type { HotStateStore } from "./hot-state";
import type { ExitBook } from "./position-exit-book";
import { enqueueDecided, enqueueOrRetrySoon, type SwapQueueStub } from "./position-queue";
import type { PositionD1Writer } from "./position-write-behind";
import type { PositionHotState } from "./queue-hot-state";

/**
 * What a PositionActor lends the pipeline that runs its calls: its state, storage, books and stubs. Every
 * call goes back through the actor, so a test's patch on the instance (state, save, swapQueue, now, env)
 * is seen here too.
 */
export interface PositionPorts {
  state(): PositionState | null;
  setState(st: PositionState): void;
  save(): void;
  storage(): DurableObjectStorage;
  waitUntil(p: Promise<unknown>): void;
  env(): Env;
  db(): Db;
  readonly hot: HotStateStore<PositionHotState>;
  readonly exits: ExitBook;
  readonly d1: PositionD1Writer;
  /** The clock of the exit rules. */
  now(): number;
  hotConfig(): Promise<Config>;
  swapQueue(): SwapQueueStub;
  mirrorExit(req: MirrorExitRequest): Promise<MirrorExitResult>;
}

/** The state of a call that found the position open (it checked first). */
export function openState(p: PositionPorts): PositionState {
  return p.state() as PositionState;
}

/** Enqueues every exit still only "decided", oldest first, with its recorded key. */
export function enqueueAll(p: PositionPorts): Promise<void> {
  return enqueueDecided(
    p.exits,
    () => p.swapQueue(),
    () => openState(p),
  );
}

/** For exits decided outside the alarm: a failed enqueue stays "decided" and the next alarm comes soon. */
export function enqueueOrSoon(p: PositionPorts): Promise<void> {
  return enqueueOrRetrySoon(
    () => enqueueAll(p),
    () => openState(p),
    () => p.save(),
    p.storage(),
  );
}
