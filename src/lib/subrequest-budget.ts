/**
 * Outbound requests one Worker invocation may still make (a Worker may make 50 subrequests per
 * invocation on the free plan, 1,000 on paid; config `max_subrequests_per_invocation`). Every upstream
 * call of a budgeted job takes one before its fetch, so the count it reports is the count it made.
 */
export class SubrequestBudget {
  used = 0;
  constructor(readonly limit: number) {}
  get left() {
    return this.limit - this.used;
  }
  /** Takes one subrequest; throws rather than let the platform kill the invocation mid-write. */
  take(what: string) {
    if (this.used >= this.limit)
      throw new BudgetExhaustedError(`subrequest budget of ${this.limit} spent before ${what}`);
    this.used++;
  }
}

export class BudgetExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BudgetExhaustedError";
  }
}
