/**
 * Helius address sync (ADR-001, DESIGN §4): what to push and which wallets the outcome applies to.
 *
 * A wallet's `helius_sync_status` says whether the webhook agrees with its `is_active`: active wallets
 * must be in the pushed list, inactive ones out of it. The outcome of a push (synced / error) applies
 * only to the wallet versions it was computed from — a wallet created or edited while the push was in
 * flight keeps `pending` and is handled by the next run — and never to a wallet already `synced`.
 */
export interface SyncWallet {
  id: number;
  address: string;
  is_active: boolean;
  helius_sync_status: "pending" | "synced" | "error";
  updated_at: string;
  /**
   * The wallet still has open or closing positions copied from it. A deactivated leader stays subscribed
   * until they close: its SELLs are what mirror-exit them (DESIGN §4, exits always run).
   */
  has_open_positions?: boolean;
}

/** Whether a wallet's transactions must keep arriving: active, or still owing the exits of its copies. */
export const mustWatch = (w: { is_active: boolean; has_open_positions?: boolean }) =>
  w.is_active || w.has_open_positions === true;

export interface SyncPlan {
  /** Every watched address (active, or with open positions), once each, sorted (stable body, identical pushes). */
  addresses: string[];
  /** Wallet versions whose status the outcome decides: `{id, u: updated_at}`. */
  toMark: { id: number; u: string }[];
}

export function planHeliusSync(wallets: readonly SyncWallet[]): SyncPlan {
  const addresses = [...new Set(wallets.filter(mustWatch).map((w) => w.address))].sort();
  const toMark = wallets.filter((w) => w.helius_sync_status !== "synced").map((w) => ({ id: w.id, u: w.updated_at }));
  return { addresses, toMark };
}

export type WebhookAction = { kind: "edit"; webhookId: string } | { kind: "create" } | { kind: "none" };

/**
 * Edit the stored webhook; without one, create it — unless nobody is watched yet (an empty webhook
 * would only cost credits). An existing webhook is edited even with an empty list, so that
 * deactivating the last wallet stops its deliveries.
 */
export function webhookAction(storedWebhookId: string | null, addressCount: number): WebhookAction {
  if (storedWebhookId) return { kind: "edit", webhookId: storedWebhookId };
  return addressCount > 0 ? { kind: "create" } : { kind: "none" };
}

/**
 * Whether the webhook Helius has already says what we would push. Each edit costs 100 credits and the
 * sync runs every 5 minutes, so an unchanged webhook is left alone (a read is cheap); any drift —
 * addresses, types, URL, type, auth header (rotated secret) — triggers the edit.
 */
export function webhookUpToDate(
  current: {
    webhookURL: string;
    transactionTypes?: string[];
    accountAddresses?: string[];
    webhookType?: string;
    authHeader?: string;
  },
  wanted: {
    webhookURL: string;
    transactionTypes: string[];
    accountAddresses: string[];
    webhookType: string;
    authHeader: string;
  },
): boolean {
  const same = (a: readonly string[] | undefined, b: readonly string[]) =>
    a !== undefined && a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return (
    current.webhookURL === wanted.webhookURL &&
    current.webhookType === wanted.webhookType &&
    current.authHeader === wanted.authHeader &&
    same(current.transactionTypes, wanted.transactionTypes) &&
    same(current.accountAddresses, wanted.accountAddresses)
  );
}

/**
 * Which of the account's webhooks is ours and which are duplicates. Ours is the stored one when Helius
 * still has it (whatever its URL: a changed PUBLIC_WEBHOOK_URL is edited in place), else the first one
 * pointing at our URL (adopted: created by a run whose config write was lost). Every other webhook
 * pointing at our URL delivers each event a second time and is paid for: a duplicate to delete.
 * Webhooks pointing elsewhere belong to someone else and are never touched.
 */
export function pickWebhooks<W extends { webhookID: string; webhookURL: string }>(
  hooks: readonly W[],
  storedId: string | null,
  ourUrl: string,
): { keeper: W | null; duplicates: W[] } {
  const keeper =
    hooks.find((w) => storedId !== null && w.webhookID === storedId) ??
    hooks.find((w) => w.webhookURL === ourUrl) ??
    null;
  const duplicates = hooks.filter((w) => w.webhookURL === ourUrl && w !== keeper);
  return { keeper, duplicates };
}
