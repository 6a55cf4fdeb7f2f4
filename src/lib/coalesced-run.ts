/**
 * One pass at a time: a call while a run is on gets that run's promise, and the run makes one more pass after
 * the current one, so work asked for meanwhile is done without a second pass running beside the first (a
 * burst's rows go in one more batch, not one each). The pass answers false to end the run even if more was
 * asked (a failure backed off for a retry). `onIdle` runs once at the end of each run.
 */
export class CoalescedRun {
  private current: Promise<void> | null = null;
  private again = false;

  constructor(private readonly onIdle?: () => Promise<void>) {}

  /** `pass` is the first caller's; a later caller only asks for one more pass. */
  run(pass: () => Promise<boolean | undefined | void>): Promise<void> {
    if (this.current) {
      this.again = true;
      return this.current;
    }
    const loop = async () => {
      try {
        do {
          this.again = false;
          if ((await pass()) === false) return;
        } while (this.again);
      } finally {
        await this.onIdle?.();
      }
    };
    // Cleared in a `finally` callback (always a later microtask), so never before it is assigned.
    const p: Promise<void> = loop().finally(() => {
      if (this.current === p) this.current = null;
    });
    this.current = p;
    return p;
  }
}
