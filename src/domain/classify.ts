import type { HeliusTokenTransfer, HeliusTx } from "./helius-tx";
import { USDC_MINT, USDT_MINT, WSOL_MINT } from "./price";

/**
 * Signal classification (DESIGN §4): from the transfers and balance changes RELATIVE TO THE WATCHED
 * WALLET, never from Helius's `type` or `events.swap` (both unreliable for pump.fun / Meteora / RFQ trades).
 *
 * - BUY  = the wallet receives exactly one token X and pays SOL / WSOL / USDC / USDT.
 * - SELL = the wallet gives exactly one token X and receives one of those.
 * - Anything else is `other`: token-to-token or quote-to-quote swaps are `unsupported_pair`, transfers
 *   and airdrops are `not_a_trade`, a failed transaction is `failed_transaction`.
 *
 * Amounts: the token amount is the wallet's net change of X, exact in base units (from
 * `accountData[].tokenBalanceChanges` when present, else from the UI amounts of `tokenTransfers` converted
 * through the decimal string, never by float multiplication). The SOL leg counts each movement once:
 * native transfers into or out of the wallet's own (W)SOL token accounts are the wrap / unwrap of a WSOL
 * transfer already counted, so they are skipped. Fees, tips and rent stay out of the trade size: among the
 * SOL legs we keep those whose counterparty is the counterparty of the token leg (the pool or bonding
 * curve); when none pairs up (multi-hop routes), the single largest leg is the trade.
 *
 * Balance-change fallback (DESIGN §4, issue 9): real deliveries may carry only `accountData` (no transfers, no
 * feePayer), and pump.fun bonding-curve trades move SOL by direct lamport changes, so no transfer shows the
 * SOL leg. Then the SOL amount comes from `accountData`, relative to the watched wallet: what the token's
 * counterparty (the owner of the token account that moved opposite to the wallet's) received (BUY) or paid
 * (SELL), as WSOL or as lamports; without a counterparty, the wallet's own lamport change net of the network
 * fee, the rent of token accounts it created (2039280 lamports each) or got back, and what third parties
 * (fee recipients, tips) received.
 */
export type SignalType = "buy" | "sell" | "other";
export type OtherReason = "unsupported_pair" | "not_a_trade" | "failed_transaction";

export interface Classification {
  signal_type: SignalType;
  /** Why it is not a copyable trade; null for buy/sell. */
  other_reason: OtherReason | null;
  token_mint: string | null;
  /** Absolute base units of the token bought or sold (integer text); null when decimals are unknown. */
  token_amount: string | null;
  token_decimals: number | null;
  token_ui_amount: number | null;
  /** WSOL_MINT for a SOL (native or wrapped) leg, else USDC_MINT / USDT_MINT. */
  quote_mint: string | null;
  /** Base units of the quote leg (lamports for SOL). */
  quote_amount: string | null;
  /** Trade size in SOL when the quote is SOL. */
  sol_amount: number | null;
  /** Trade size in USD when the quote is a USD stablecoin. */
  quote_usd: number | null;
  /** Price per whole token in SOL (SOL quote) — USD-quoted trades get it once the SOL price is known. */
  price_sol: number | null;
  /** Price per whole token in USD (stable quote) — SOL-quoted trades get it once the SOL price is known. */
  price_usd: number | null;
}

const STABLES: Record<string, number> = { [USDC_MINT]: 6, [USDT_MINT]: 6 };
const QUOTES = new Set([WSOL_MINT, USDC_MINT, USDT_MINT]);
const SOL_DECIMALS = 9;

/** UI amount (a JSON number, decimals applied) → exact base units, through its shortest decimal string. */
export function uiToBase(ui: number, decimals: number): bigint {
  if (!Number.isFinite(ui) || ui < 0) throw new RangeError(`not a token amount: ${ui}`);
  const [int = "0", frac = ""] = plainDecimal(String(ui)).split(".");
  const kept = frac.slice(0, decimals).padEnd(decimals, "0");
  let base = BigInt(int + kept);
  // More fraction digits than the mint has means float noise: round half up on the first extra digit.
  if (frac.length > decimals && Number(frac[decimals]) >= 5) base += 1n;
  return base;
}

/** "1.5e-7" / "1e+21" → the same value written without an exponent ("0.00000015", "1000000000000000000000"). */
function plainDecimal(s: string): string {
  const m = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const digits = (m[1] ?? "") + (m[2] ?? "");
  const point = (m[1] ?? "").length + Number(m[3]);
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Base units → a JS number of whole tokens (for prices only; stored amounts stay integer text). */
export const baseToUi = (base: bigint, decimals: number): number => Number(base) / 10 ** decimals;

const isNft = (t: HeliusTokenTransfer) => typeof t.tokenStandard === "string" && /nonfungible/i.test(t.tokenStandard);
const abs = (n: bigint) => (n < 0n ? -n : n);

interface Leg {
  amount: bigint;
  counterparty: string | null;
}

const empty = (reason: OtherReason, token_mint: string | null = null): Classification => ({
  signal_type: "other",
  other_reason: reason,
  token_mint,
  token_amount: null,
  token_decimals: null,
  token_ui_amount: null,
  quote_mint: null,
  quote_amount: null,
  sol_amount: null,
  quote_usd: null,
  price_sol: null,
  price_usd: null,
});

/** Legs paired with the token counterparties when any pair up, else the largest single leg. */
function tradeLeg(legs: Leg[], tokenCounterparties: Set<string>): { amount: bigint; paired: boolean } {
  const paired = legs.filter((l) => l.counterparty !== null && tokenCounterparties.has(l.counterparty));
  if (paired.length > 0) return { amount: paired.reduce((s, l) => s + l.amount, 0n), paired: true };
  return { amount: legs.reduce((m, l) => (l.amount > m ? l.amount : m), 0n), paired: false };
}

/** The SOL leg read from `accountData` (see the header); null when it shows none. */
function accountDataSolLeg(
  tx: HeliusTx,
  wallet: string,
  mint: string,
  side: "buy" | "sell",
  walletTokenAccounts: ReadonlySet<string>,
): { counterparty: bigint | null; walletNet: bigint | null } {
  const accounts = tx.accountData ?? [];
  const changes = accounts.flatMap((a) => a.tokenBalanceChanges ?? []);
  const lamports = new Map<string, bigint>();
  for (const a of accounts) {
    const d = a.nativeBalanceChange;
    if (typeof d === "number" && Number.isSafeInteger(d))
      lamports.set(a.account, (lamports.get(a.account) ?? 0n) + BigInt(d));
  }
  const signOf = (raw: string) => (raw.startsWith("-") ? -1 : /^0+$/.test(raw) ? 0 : 1);
  const wanted = side === "buy" ? -1 : 1; // a BUY's counterparty gives the token away
  const counterparties = new Set<string>();
  const counterpartyTokenAccounts = new Set<string>();
  for (const c of changes) {
    if (c.mint !== mint || !c.userAccount || c.userAccount === wallet) continue;
    if (signOf(c.rawTokenAmount.tokenAmount) !== wanted) continue;
    counterparties.add(c.userAccount);
    if (c.tokenAccount) counterpartyTokenAccounts.add(c.tokenAccount);
  }
  for (const t of tx.tokenTransfers ?? []) {
    if (t.mint !== mint) continue;
    const other =
      side === "buy"
        ? t.toUserAccount === wallet
          ? t.fromUserAccount
          : null
        : t.fromUserAccount === wallet
          ? t.toUserAccount
          : null;
    if (other && other !== wallet) counterparties.add(other);
  }
  const direction = side === "buy" ? 1n : -1n; // a BUY's counterparty gains SOL
  let counterparty: bigint | null = null;
  // A pool holding WSOL: its WSOL balance moved by the trade.
  let wsol = 0n;
  for (const c of changes) {
    if (c.mint !== WSOL_MINT || !c.userAccount || !counterparties.has(c.userAccount)) continue;
    if (!/^-?\d+$/.test(c.rawTokenAmount.tokenAmount)) continue;
    wsol += BigInt(c.rawTokenAmount.tokenAmount);
  }
  if (wsol * direction > 0n) counterparty = wsol * direction;
  else {
    // A bonding curve: its own lamports moved.
    let native = 0n;
    for (const cp of counterparties) native += lamports.get(cp) ?? 0n;
    if (native * direction > 0n) counterparty = native * direction;
  }

  const walletDelta = lamports.get(wallet);
  let walletNet: bigint | null = null;
  if (walletDelta !== undefined) {
    // Without a feePayer the watched wallet is the signer that paid it (it is whose trade this is).
    const fee = !tx.feePayer || tx.feePayer === wallet ? BigInt(Math.round(tx.fee ?? 0)) : 0n;
    let rent = 0n; // + created (paid by the wallet), − closed (refunded to it)
    let thirdParties = 0n;
    for (const [account, d] of lamports) {
      if (account === wallet) continue;
      if (walletTokenAccounts.has(account)) rent += d;
      else if (d > 0n && !counterparties.has(account) && !counterpartyTokenAccounts.has(account)) thirdParties += d;
    }
    const net = side === "buy" ? -walletDelta - fee - rent - thirdParties : walletDelta + fee + rent + thirdParties;
    walletNet = net > 0n ? net : null;
  }
  return { counterparty, walletNet };
}

export function classify(tx: HeliusTx, wallet: string): Classification {
  if (tx.transactionError != null) return empty("failed_transaction");
  const transfers = (tx.tokenTransfers ?? []).filter((t) => !isNft(t));
  const natives = tx.nativeTransfers ?? [];
  const changes = (tx.accountData ?? []).flatMap((a) => a.tokenBalanceChanges ?? []);

  // Decimals per mint, and the wallet's own token accounts (its (W)SOL accounts make wraps recognisable).
  const decimals = new Map<string, number>();
  const walletTokenAccounts = new Set<string>();
  for (const c of changes) {
    if (c.rawTokenAmount.decimals !== undefined) decimals.set(c.mint, c.rawTokenAmount.decimals);
    if (c.userAccount === wallet && c.tokenAccount) walletTokenAccounts.add(c.tokenAccount);
  }
  for (const [mint, d] of Object.entries(STABLES)) decimals.set(mint, d);
  decimals.set(WSOL_MINT, SOL_DECIMALS);
  for (const t of transfers) {
    if (t.fromUserAccount === wallet && t.fromTokenAccount) walletTokenAccounts.add(t.fromTokenAccount);
    if (t.toUserAccount === wallet && t.toTokenAccount) walletTokenAccounts.add(t.toTokenAccount);
  }

  // Net change of every non-quote token for the wallet.
  const exactNet = new Map<string, bigint>(); // from balance changes (exact)
  for (const c of changes) {
    if (c.userAccount !== wallet || QUOTES.has(c.mint) || !/^-?\d+$/.test(c.rawTokenAmount.tokenAmount)) continue;
    if (c.rawTokenAmount.decimals === 0) continue; // NFT-like: not a memecoin
    exactNet.set(c.mint, (exactNet.get(c.mint) ?? 0n) + BigInt(c.rawTokenAmount.tokenAmount));
  }
  const uiNet = new Map<string, number>(); // from transfers (UI), used when a mint has no balance change
  const counterparties = new Map<string, Set<string>>();
  for (const t of transfers) {
    if (QUOTES.has(t.mint)) continue;
    const inbound = t.toUserAccount === wallet && t.fromUserAccount !== wallet;
    const outbound = t.fromUserAccount === wallet && t.toUserAccount !== wallet;
    if (!inbound && !outbound) continue;
    uiNet.set(t.mint, (uiNet.get(t.mint) ?? 0) + (inbound ? t.tokenAmount : -t.tokenAmount));
    const other = inbound ? t.fromUserAccount : t.toUserAccount;
    if (other) {
      const set = counterparties.get(t.mint) ?? new Set<string>();
      set.add(other);
      counterparties.set(t.mint, set);
    }
  }
  const net = new Map<string, { base: bigint | null; ui: number; decimals: number | null }>();
  for (const [mint, base] of exactNet) {
    const d = decimals.get(mint) ?? null;
    if (base !== 0n && d !== null) net.set(mint, { base, ui: baseToUi(base, d), decimals: d });
  }
  for (const [mint, ui] of uiNet) {
    if (net.has(mint) || exactNet.has(mint) || ui === 0) continue;
    const d = decimals.get(mint) ?? null;
    if (d === 0) continue;
    const base = d === null ? null : (ui < 0 ? -1n : 1n) * uiToBase(Math.abs(ui), d);
    net.set(mint, { base, ui, decimals: d });
  }
  const received = [...net].filter(([, v]) => v.ui > 0);
  const sent = [...net].filter(([, v]) => v.ui < 0);

  // SOL legs (native and WSOL) and stablecoin legs, each direction, wraps/unwraps skipped.
  const solIn: Leg[] = [];
  const solOut: Leg[] = [];
  const stableIn = new Map<string, Leg[]>();
  const stableOut = new Map<string, Leg[]>();
  for (const n of natives) {
    const amount = BigInt(n.amount ?? 0);
    if (amount <= 0n) continue;
    if (n.toUserAccount === wallet && n.fromUserAccount !== wallet && !walletTokenAccounts.has(n.fromUserAccount ?? ""))
      solIn.push({ amount, counterparty: n.fromUserAccount ?? null });
    if (n.fromUserAccount === wallet && n.toUserAccount !== wallet && !walletTokenAccounts.has(n.toUserAccount ?? ""))
      solOut.push({ amount, counterparty: n.toUserAccount ?? null });
  }
  for (const t of transfers) {
    if (!QUOTES.has(t.mint)) continue;
    const inbound = t.toUserAccount === wallet && t.fromUserAccount !== wallet;
    const outbound = t.fromUserAccount === wallet && t.toUserAccount !== wallet;
    if (!inbound && !outbound) continue;
    const amount = uiToBase(t.tokenAmount, decimals.get(t.mint) ?? SOL_DECIMALS);
    if (amount <= 0n) continue;
    const leg = { amount, counterparty: (inbound ? t.fromUserAccount : t.toUserAccount) ?? null };
    if (t.mint === WSOL_MINT) (inbound ? solIn : solOut).push(leg);
    else {
      const map = inbound ? stableIn : stableOut;
      map.set(t.mint, [...(map.get(t.mint) ?? []), leg]);
    }
  }

  if (received.length + sent.length === 0) {
    const solMoved = solIn.length + solOut.length > 0;
    const stableMoved = stableIn.size + stableOut.size > 0;
    return empty(solMoved && stableMoved ? "unsupported_pair" : "not_a_trade");
  }
  if (received.length > 0 && sent.length > 0) return empty("unsupported_pair", received[0]?.[0] ?? null);
  if (received.length > 1 || sent.length > 1) return empty("unsupported_pair");

  const side: "buy" | "sell" = received.length === 1 ? "buy" : "sell";
  const [mint, tok] = (side === "buy" ? received[0] : sent[0]) as [
    string,
    { base: bigint | null; ui: number; decimals: number | null },
  ];
  const cps = counterparties.get(mint) ?? new Set<string>();
  const solLegs = side === "buy" ? solOut : solIn;
  const stableLegs = side === "buy" ? stableOut : stableIn;

  const tokenUi = Math.abs(tok.ui);
  const base: Omit<
    Classification,
    "quote_mint" | "quote_amount" | "sol_amount" | "quote_usd" | "price_sol" | "price_usd"
  > = {
    signal_type: side,
    other_reason: null,
    token_mint: mint,
    token_amount: tok.base === null ? null : abs(tok.base).toString(),
    token_decimals: tok.decimals,
    token_ui_amount: tokenUi,
  };

  // Which quote paid for the token: a leg paired with the token's counterparty wins; without pairing, a
  // stablecoin leg wins over loose SOL movements (those are then fees, tips or rent around a USD trade).
  let sol = tradeLeg(solLegs, cps);
  // No SOL leg paired with the token's counterparty: the SOL may have moved by lamport changes only (pump.fun
  // bonding curve) — what the counterparty received or paid then wins over a loose fee transfer; with no SOL
  // transfer at all, the wallet's own net lamport change is the last resort.
  if (!sol.paired) {
    const fromAccounts = accountDataSolLeg(tx, wallet, mint, side, walletTokenAccounts);
    if (fromAccounts.counterparty !== null) sol = { amount: fromAccounts.counterparty, paired: true };
    else if (sol.amount === 0n && stableLegs.size === 0 && fromAccounts.walletNet !== null)
      sol = { amount: fromAccounts.walletNet, paired: false };
  }
  const stables = [...stableLegs]
    .map(([stable, legs]) => ({ stable, ...tradeLeg(legs, cps) }))
    .filter((x) => x.amount > 0n);
  const stable = stables.find((x) => x.paired) ?? stables[0];
  if (sol.amount > 0n && (sol.paired || !stable)) {
    const solUi = baseToUi(sol.amount, SOL_DECIMALS);
    return {
      ...base,
      quote_mint: WSOL_MINT,
      quote_amount: sol.amount.toString(),
      sol_amount: solUi,
      quote_usd: null,
      price_sol: solUi / tokenUi,
      price_usd: null,
    };
  }
  if (stable) {
    const usd = baseToUi(stable.amount, STABLES[stable.stable] ?? 6);
    return {
      ...base,
      quote_mint: stable.stable,
      quote_amount: stable.amount.toString(),
      sol_amount: null,
      quote_usd: usd,
      price_sol: null,
      price_usd: usd / tokenUi,
    };
  }
  // The wallet received (or gave) a token and nothing came back: an airdrop, a transfer, a mint.
  return empty("not_a_trade", mint);
}

/** Completes the USD / SOL sides of a classified trade once the SOL price is known (null = unknown). */
export function withSolPrice(
  c: Classification,
  solUsd: number | null,
): { sol_amount: number | null; usd_amount: number | null; price_sol: number | null; price_usd: number | null } {
  if (c.signal_type === "other") return { sol_amount: null, usd_amount: null, price_sol: null, price_usd: null };
  const ok = solUsd !== null && Number.isFinite(solUsd) && solUsd > 0;
  if (c.sol_amount !== null) {
    return {
      sol_amount: c.sol_amount,
      usd_amount: ok ? c.sol_amount * solUsd : null,
      price_sol: c.price_sol,
      price_usd: ok && c.price_sol !== null ? c.price_sol * solUsd : null,
    };
  }
  return {
    sol_amount: ok && c.quote_usd !== null ? c.quote_usd / solUsd : null,
    usd_amount: c.quote_usd,
    price_sol: ok && c.price_usd !== null ? c.price_usd / solUsd : null,
    price_usd: c.price_usd,
  };
}
