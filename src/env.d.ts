// Secrets are not in wrangler.toml, so `wrangler types` cannot see them; they are declared here.
// All optional: each feature that needs one answers 503 NotConfigured (or records "not configured").
declare namespace Cloudflare {
  interface Env {
    OPERATOR_TOKEN?: string;
    HELIUS_WEBHOOK_SECRET?: string;
    HELIUS_API_KEY?: string;
    JUPITER_API_KEY?: string;
    WALLET_PRIVATE_KEY?: string;
    /** base58 secret key of the wallet that executes scheduled fundings (SOL transfers). */
    FUNDING_WALLET_PRIVATE_KEY?: string;
    /** Telegram bot token for notifications (the chat id is config `telegram_chat_id`). */
    TELEGRAM_BOT_TOKEN?: string;
    /** HMAC-SHA256 key of the notification webhook's `x-walltrack-signature` header. */
    NOTIFY_WEBHOOK_SECRET?: string;
    /** Set only by the bench's own `wrangler dev --var` (scripts/bench.mjs): mounts src/api/bench-seed.ts. */
    BENCH_SEED_ENABLED?: string;
  }
}
