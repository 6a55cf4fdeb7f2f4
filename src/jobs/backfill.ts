import { raiseAlert } from "../db/alerts";
import { type ChainSignature, chunks, nextCursor, planBackfill, rotate } from "../domain/backfill";
import { HeliusTxSchema } from "../domain/helius-tx";
import { errorMessage } from "../lib/error-message";
import { log, redact } from "../lib/logger";
import { type HandOffItem, handOff } from "../pipeline/wallet-handoff";
import { HELIUS_MAX_PARSE, parseTransactions } from "../upstream/helius";
import { getRecentSignatures } from "../upstream/solana-rpc";

/** Bounds of one run, so that a cron never runs away (subrequests, Helius credits). */
export const BACKFILL_MAX_WALLETS_PER_RUN = 25;
export const BACKFILL_DEFAULT_LIMIT = 100;
/** getSignaturesForAddress answers at most 1000 signatures per call. */
export const BACKFILL_MAX_LIMIT = 1000;
/** Transactions fetched from Helius per run, all wallets together; the rest waits for the next run. */
export const BACKFILL_MAX_FETCH_PER_RUN = 500;

export interface BackfillWallet {
  id: number;
  address: string;
  /** ISO time the wallet was added: transactions before it were never due. */
  created_at: string;
}

export interface WalletBackfill {
  wallet_id: number;
  address: string;
  /** On-chain signatures looked at (newer than the wallet's cursor). */
  checked: number;
  /** Failed on chain, or made before the wallet was watched. */
  skipped: number;
  /** Succeeded transactions with no signal. */
  missing: number;
  /** Handed to the wallet actors and newly persisted: they become signals. */
  recovered: number;
  /** Handed over, but an actor already had them (delivered meanwhile). */
  duplicates: number;
  /** Handed over, but they involve no watched wallet as Helius parsed them. */
  ignored: number;
  /** Not recovered this run (Helius did not return them, or an actor could not take them): retried next run. */
  failed: number;
  /** Left for the next run because the run's fetch budget was spent. */
  deferred: number;
  truncated: boolean;
  error: string | null;
}

export interface BackfillRun {
  status: "ok" | "skipped";
  reason?: string;
  wallets_active?: number;
  wallets: WalletBackfill[];
  totals: { checked: number; missing: number; recovered: number; failed: number; wallets_failed: number };
}

type BackfillEnv = Pick<
  Env,
  "DB" | "WALLET_ACTOR" | "HELIUS_API_URL" | "HELIUS_API_KEY" | "SOLANA_RPC_URL" | "UPSTREAM_TIMEOUT_MS"
>;

const errText = (err: unknown) => String(redact(errorMessage(err))).slice(0, 300);

/** A wallet's counters before anything is looked at (also the result of a wallet whose run threw). */
const emptyResult = (w: BackfillWallet): WalletBackfill => ({
  wallet_id: w.id,
  address: w.address,
  checked: 0,
  skipped: 0,
  missing: 0,
  recovered: 0,
  duplicates: 0,
  ignored: 0,
  failed: 0,
  deferred: 0,
  truncated: false,
  error: null,
});

/** Signatures among `sigs` that already have a signal (one query; json_each: D1 caps bound parameters). */
async function knownSignatures(env: BackfillEnv, sigs: readonly string[]): Promise<Set<string>> {
  if (sigs.length === 0) return new Set();
  const { results } = await env.DB.prepare(
    "SELECT transaction_signature AS s FROM signals WHERE transaction_signature IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(sigs))
    .all<{ s: string }>();
  return new Set(results.map((r) => r.s));
}

/**
 * "Backfill finding missed trades" (issue 12): the webhook lost these transactions. One event alert per
 * recovery (subject = the wallet and the first signature recovered, which never comes back: it is a signal
 * now). The transactions are persisted already, so a failing alert write is logged, never fatal.
 */
async function alertMissed(env: BackfillEnv, wallet: BackfillWallet, sigs: string[]) {
  try {
    await raiseAlert(env.DB, {
      kind: "backfill_missed",
      subject: `${wallet.address}:${sigs[0]}`,
      message: `backfill recovered ${sigs.length} transaction(s) of ${wallet.address} the webhook never delivered`,
      detail: { address: wallet.address, wallet_id: wallet.id, signatures: sigs.slice(0, 20), count: sigs.length },
    });
  } catch (err) {
    log.warn("backfill_alert_failed", { wallet: wallet.address, error: redact(err) });
  }
}

/**
 * One wallet: the signatures newer than its cursor, minus failed ones and those already signals, fetched from
 * Helius in batches of ≤ 100 and handed to the wallet actors exactly as a webhook delivery would be. The
 * cursor only moves past what is resolved, so what fails now is looked at again next run.
 */
async function backfillWallet(
  env: BackfillEnv,
  wallet: BackfillWallet,
  limit: number,
  budget: { left: number },
): Promise<WalletBackfill> {
  const out = emptyResult(wallet);
  const actor = env.WALLET_ACTOR.getByName(wallet.address);
  const cursor = await actor.backfillCursor();
  const sigs: ChainSignature[] = await getRecentSignatures(env, wallet.address, limit, cursor ? { until: cursor } : {});
  const known = await knownSignatures(
    env,
    sigs.filter((s) => s.succeeded).map((s) => s.signature),
  );
  const plan = planBackfill(sigs, known, Date.parse(wallet.created_at), limit);
  Object.assign(out, { checked: plan.checked, skipped: plan.skipped, missing: plan.missing.length });
  out.truncated = plan.truncated;

  const unresolved = new Set<string>();
  const take = plan.missing.slice(0, Math.max(0, budget.left));
  for (const s of plan.missing.slice(take.length)) unresolved.add(s);
  out.deferred = plan.missing.length - take.length;
  budget.left -= take.length;

  const errors: string[] = [];
  const recovered: string[] = [];
  for (const batch of chunks(take, HELIUS_MAX_PARSE)) {
    let raw: unknown[];
    try {
      raw = await parseTransactions(env, batch);
    } catch (err) {
      for (const s of batch) unresolved.add(s);
      out.failed += batch.length;
      errors.push(errText(err));
      continue;
    }
    // Only what was asked for, in the order asked (oldest first), each validated like a webhook item.
    const bySig = new Map<string, HandOffItem>();
    for (const r of raw) {
      const parsed = HeliusTxSchema.safeParse(r);
      if (parsed.success && batch.includes(parsed.data.signature))
        bySig.set(parsed.data.signature, { tx: parsed.data, raw: r });
    }
    const items = batch.flatMap((s) => bySig.get(s) ?? []);
    for (const s of batch) {
      if (!bySig.has(s)) {
        unresolved.add(s);
        out.failed++;
      }
    }
    if (batch.length > items.length) errors.push(`helius returned ${items.length} of ${batch.length} transactions`);
    if (items.length === 0) continue;
    const res = await handOff(env, items, Date.now());
    res.outcomes.forEach((o, i) => {
      const sig = (items[i] as HandOffItem).tx.signature;
      if (o === "accepted") {
        out.recovered++;
        recovered.push(sig);
      } else if (o === "duplicate") out.duplicates++;
      else if (o === "ignored") out.ignored++;
      else {
        out.failed++;
        unresolved.add(sig);
      }
    });
    if (res.failures.length) errors.push(`wallet actor hand-off failed: ${errText(res.failures[0])}`);
  }
  if (errors.length) out.error = errors.join("; ");

  if (recovered.length) await alertMissed(env, wallet, recovered);
  const next = nextCursor(sigs, unresolved);
  if (next && next !== cursor) await actor.setBackfillCursor(next);
  return out;
}

/**
 * DESIGN §1 backfill: recovers watched-wallet transactions that never reached the webhook. A late BUY is then
 * filtered `stale_signal` by the actor (never chase old trades); a late SELL still mirrors exits.
 * `wallets` defaults to the active ones plus the inactive ones with open or closing positions (at most BACKFILL_MAX_WALLETS_PER_RUN, rotating with `runIndex`).
 * A wallet's failure is recorded in its entry and does not stop the others.
 */
export async function runBackfill(
  env: BackfillEnv,
  opts: { wallets?: BackfillWallet[]; limit?: number; runIndex?: number } = {},
): Promise<BackfillRun> {
  const totals = { checked: 0, missing: 0, recovered: 0, failed: 0, wallets_failed: 0 };
  if (!env.HELIUS_API_KEY) return { status: "skipped", reason: "not configured: HELIUS_API_KEY", wallets: [], totals };
  const limit = Math.min(Math.max(1, Math.trunc(opts.limit ?? BACKFILL_DEFAULT_LIMIT)), BACKFILL_MAX_LIMIT);
  let candidates = opts.wallets;
  let active: number | undefined;
  if (!candidates) {
    // Active wallets, and deactivated ones whose copies are still open: their SELLs must still be recovered.
    const { results } = await env.DB.prepare(
      `SELECT id, address, created_at, is_active FROM wallets w WHERE is_active = 1 OR EXISTS (
         SELECT 1 FROM positions p WHERE p.source_wallet_address = w.address AND p.status IN ('open', 'closing'))
       ORDER BY id`,
    ).all<BackfillWallet & { is_active: number }>();
    active = results.filter((w) => w.is_active === 1).length;
    candidates = rotate(
      results.map(({ is_active: _a, ...w }) => w),
      BACKFILL_MAX_WALLETS_PER_RUN,
      opts.runIndex ?? Math.floor(Date.now() / 3_600_000),
    );
  }

  const budget = { left: BACKFILL_MAX_FETCH_PER_RUN };
  const wallets: WalletBackfill[] = [];
  // One wallet at a time: bounded concurrency toward the RPC node and Helius.
  for (const w of candidates) {
    let r: WalletBackfill;
    try {
      r = await backfillWallet(env, w, limit, budget);
    } catch (err) {
      r = { ...emptyResult(w), error: errText(err) };
    }
    if (r.error) log.warn("backfill_wallet_failed", { wallet: w.address, error: r.error });
    if (r.truncated) log.warn("backfill_truncated", { wallet: w.address, limit });
    wallets.push(r);
    totals.checked += r.checked;
    totals.missing += r.missing;
    totals.recovered += r.recovered;
    totals.failed += r.failed;
    if (r.error) totals.wallets_failed++;
  }
  log.info("backfill_finished", { wallets: wallets.length, ...totals });
  return { status: "ok", ...(active === undefined ? {} : { wallets_active: active }), wallets, totals };
}
