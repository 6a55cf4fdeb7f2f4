import { createApp } from "./app";
import { scheduled } from "./scheduled";

// @solana/kit refuses key operations unless the context claims to be secure; workerd leaves it
// unset although its WebCrypto does Ed25519.
(globalThis as { isSecureContext?: boolean }).isSecureContext = true;

const app = createApp();

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>;

export { D1Writer } from "../durable-objects/d1-writer";
export { PortfolioRefresher } from "../durable-objects/portfolio-refresher";
export { PositionActor } from "../durable-objects/position-actor";
export { PriceFeed } from "../durable-objects/price-feed";
export { RateLimiter } from "../durable-objects/rate-limiter";
export { SwapQueue } from "../durable-objects/swap-queue";
export { TokenSafety } from "../durable-objects/token-safety";
export { WalletActor } from "../durable-objects/wallet-actor";
