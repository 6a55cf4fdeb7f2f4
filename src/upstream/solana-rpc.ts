import {
  address,
  createSolanaRpc,
  isSolanaError,
  type Signature,
  SOLANA_ERROR__MALFORMED_JSON_RPC_ERROR,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
} from "@solana/kit";
import { z } from "zod";
import { timeoutFrom, UpstreamError } from "./http";

/**
 * Solana JSON-RPC through @solana/kit. kit parses every integer of a response as a bigint (u64 lamports,
 * `rentEpoch` = u64::MAX) except the key paths it knows to be small (decimals, uiAmount), throws a
 * `SolanaError` for JSON-RPC error envelopes and for non-2xx HTTP answers, and lets fetch's own
 * errors (timeout, network) through. Every one of those becomes an `UpstreamError("solana-rpc")`.
 * Results are checked with zod too: kit trusts the node, we do not trust a half-broken proxy.
 */

/** The classic SPL Token program (Tokenkeg…); Token-2022 below. Public program ids, not secrets. */
export const SPL_CLASSIC_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
export const TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
export const TOKEN_PROGRAMS = [SPL_CLASSIC_PROGRAM, TOKEN_2022_PROGRAM] as const;
export type TokenProgram = (typeof TOKEN_PROGRAMS)[number];

/** getMultipleAccounts takes at most 100 keys per call. */
export const MAX_ACCOUNTS_PER_CALL = 100;

export type RpcEnv = { SOLANA_RPC_URL?: string; UPSTREAM_TIMEOUT_MS?: string };

const rpcOf = (env: RpcEnv) => {
  if (!env.SOLANA_RPC_URL) throw new UpstreamError("solana-rpc", "network", "SOLANA_RPC_URL is not configured");
  return createSolanaRpc(env.SOLANA_RPC_URL);
};

/** Maps whatever kit or fetch threw into the one typed upstream error, without echoing bodies. */
export function toRpcError(err: unknown, method: string, timeoutMs: number): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (isSolanaError(err, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR)) {
    const status = err.context.statusCode;
    return new UpstreamError("solana-rpc", "http", `${method}: HTTP ${status}`, { status });
  }
  if (isSolanaError(err, SOLANA_ERROR__MALFORMED_JSON_RPC_ERROR))
    return new UpstreamError("solana-rpc", "malformed", `${method}: malformed JSON-RPC error`);
  if (isSolanaError(err)) {
    // A JSON-RPC error envelope (-32602 invalid params, -32005 node behind, ...): the node answered.
    const code = (err.context as { __code?: number }).__code;
    const rpcCode = typeof code === "number" ? code : undefined;
    return new UpstreamError("solana-rpc", "http", `${method}: JSON-RPC error${rpcCode ? ` ${rpcCode}` : ""}`, {
      status: 200,
      retryable: rpcCode === -32005 || rpcCode === -32603,
    });
  }
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
    return new UpstreamError("solana-rpc", "timeout", `${method}: timed out after ${timeoutMs} ms`);
  if (err instanceof SyntaxError) return new UpstreamError("solana-rpc", "malformed", `${method}: body is not JSON`);
  return new UpstreamError("solana-rpc", "network", `${method}: network error`);
}

export async function call<S extends z.ZodType>(
  env: RpcEnv,
  method: string,
  schema: S,
  run: (rpc: ReturnType<typeof createSolanaRpc>, abortSignal: AbortSignal) => Promise<unknown>,
): Promise<z.infer<S>> {
  const timeoutMs = timeoutFrom(env);
  let raw: unknown;
  try {
    raw = await run(rpcOf(env), AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw toRpcError(err, method, timeoutMs);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") || "result";
    throw new UpstreamError("solana-rpc", "malformed", `${method}: unexpected result shape at ${where}`);
  }
  return parsed.data;
}

export const u64 = z.union([z.bigint(), z.number().int().nonnegative()]).transform((v) => BigInt(v));

/** Lamports of one account (0 for an account that does not exist). */
export async function getBalanceLamports(env: RpcEnv, owner: string): Promise<bigint> {
  const res = await call(env, "getBalance", z.object({ value: u64 }), (rpc, abortSignal) =>
    rpc.getBalance(address(owner)).send({ abortSignal }),
  );
  return res.value;
}

/**
 * Lamports of many accounts in ⌈n/100⌉ calls. `null` entries (account never created) are 0 SOL.
 * Asks for a zero-length data slice: only the lamports are wanted.
 */
export async function getBalancesLamports(env: RpcEnv, owners: readonly string[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const schema = z.object({ value: z.array(z.object({ lamports: u64 }).nullable()) });
  for (let i = 0; i < owners.length; i += MAX_ACCOUNTS_PER_CALL) {
    const chunk = owners.slice(i, i + MAX_ACCOUNTS_PER_CALL);
    const res = await call(env, "getMultipleAccounts", schema, (rpc, abortSignal) =>
      rpc
        .getMultipleAccounts(
          chunk.map((a) => address(a)),
          { encoding: "base64", dataSlice: { offset: 0, length: 0 } },
        )
        .send({ abortSignal }),
    );
    if (res.value.length !== chunk.length)
      throw new UpstreamError("solana-rpc", "malformed", "getMultipleAccounts: answer length differs from the request");
    for (const [j, a] of chunk.entries()) out.set(a, res.value[j]?.lamports ?? 0n);
  }
  return out;
}

export interface TokenAccount {
  /** The token account's own address. */
  pubkey: string;
  mint: string;
  /** Base units as integer text. */
  amount: string;
  decimals: number;
  token_program: TokenProgram;
}

export const TokenAccountsSchema = z.object({
  value: z.array(
    z.object({
      pubkey: z.string(),
      account: z.object({
        // jsonParsed falls back to [base64, "base64"] when the node has no parser for the account.
        data: z.union([
          z.object({
            parsed: z.object({
              info: z.object({
                mint: z.string(),
                tokenAmount: z.object({ amount: z.string().regex(/^\d+$/), decimals: z.number().int().min(0) }),
              }),
            }),
          }),
          z.unknown(),
        ]),
      }),
    }),
  ),
});

/** Token accounts of `owner` under ONE token program (Token-2022 accounts never show under Tokenkeg). */
export async function getTokenAccounts(env: RpcEnv, owner: string, program: TokenProgram): Promise<TokenAccount[]> {
  const res = await call(env, "getTokenAccountsByOwner", TokenAccountsSchema, (rpc, abortSignal) =>
    rpc
      .getTokenAccountsByOwner(address(owner), { programId: address(program) }, { encoding: "jsonParsed" })
      .send({ abortSignal }),
  );
  return tokenAccountsFrom(res, program);
}

/** A parsed getTokenAccountsByOwner result → token accounts (unparsed accounts skipped). */
export function tokenAccountsFrom(res: z.infer<typeof TokenAccountsSchema>, program: TokenProgram): TokenAccount[] {
  const out: TokenAccount[] = [];
  for (const { pubkey, account } of res.value) {
    const data = account.data as {
      parsed?: { info?: { mint: string; tokenAmount: { amount: string; decimals: number } } };
    };
    const info = data?.parsed?.info;
    if (!info) continue; // unparsed account: nothing we can show
    out.push({
      pubkey,
      mint: info.mint,
      amount: info.tokenAmount.amount,
      decimals: info.tokenAmount.decimals,
      token_program: program,
    });
  }
  return out;
}

export interface SignatureInfo {
  signature: string;
  slot: number;
  /** Unix seconds, or null when the node does not know. */
  block_time: number | null;
  succeeded: boolean;
  memo: string | null;
  confirmation_status: string | null;
}

export const SignaturesSchema = z.array(
  z.object({
    signature: z.string().min(1),
    slot: u64,
    err: z.unknown().nullable().optional(),
    memo: z.string().nullable().optional(),
    blockTime: u64.nullable().optional(),
    confirmationStatus: z.string().nullable().optional(),
  }),
);

/**
 * Newest first; failed transactions are included and flagged (`succeeded: false`). `until` stops before that
 * signature (exclusive: only newer ones), `before` starts after it (paging backwards). At most 1000 per call.
 */
export async function getRecentSignatures(
  env: RpcEnv,
  owner: string,
  limit: number,
  opts: { until?: string; before?: string } = {},
): Promise<SignatureInfo[]> {
  const res = await call(env, "getSignaturesForAddress", SignaturesSchema, (rpc, abortSignal) =>
    rpc
      .getSignaturesForAddress(address(owner), {
        limit,
        // Cursors are signatures this node returned earlier: passed through as-is (no re-validation).
        ...(opts.until ? { until: opts.until as Signature } : {}),
        ...(opts.before ? { before: opts.before as Signature } : {}),
      })
      .send({ abortSignal }),
  );
  return signaturesFrom(res);
}

/** A parsed getSignaturesForAddress result → signature infos, newest first as the node sent them. */
export function signaturesFrom(res: z.infer<typeof SignaturesSchema>): SignatureInfo[] {
  return res.map((s) => ({
    signature: s.signature,
    slot: Number(s.slot),
    block_time: s.blockTime == null ? null : Number(s.blockTime),
    succeeded: s.err == null,
    memo: s.memo ?? null,
    confirmation_status: s.confirmationStatus ?? null,
  }));
}
