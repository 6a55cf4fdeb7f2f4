/**
 * Keyed serial chains (issue 10: deliveries for different mints do not wait for each other; order is kept per
 * mint). Work under one key runs one at a time in the order it was added; different keys run concurrently.
 * An item is held from the moment it is added until its run ends, so a second scheduler (the alarm beside the
 * delivery) can tell it is taken and leave it alone. In memory only: an evicted object has no chain left, and
 * its alarm — the safety net — picks the unfinished rows up again.
 */
export class KeyedChains {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly held = new Set<string>();

  /** True while `id` waits in or runs on a chain. */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  get size(): number {
    return this.held.size;
  }

  /**
   * Runs `work` after everything already added under `key`. An id already held is not added twice (its run
   * is returned). `work`'s failure is reported to `onError` and does not stop the chain.
   */
  add(key: string, id: string, work: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
    if (this.held.has(id)) return this.tails.get(key) ?? Promise.resolve();
    this.held.add(id);
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev
      .then(work)
      .catch(onError)
      .finally(() => this.held.delete(id));
    this.tails.set(key, run);
    void run.then(() => {
      if (this.tails.get(key) === run) this.tails.delete(key);
    });
    return run;
  }

  /** Resolves once nothing is held (work added meanwhile is waited for too). */
  async drained(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
