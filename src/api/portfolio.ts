import { portfolioFundingRouter } from "./portfolio-funding";
import { portfolioLaunchesRouter } from "./portfolio-launches";
import { portfolioWalletsRouter } from "./portfolio-wallets";
import { createRouter } from "./router";

/**
 * The 13 portfolio endpoints under /api/wallets (DESIGN §5), mounted at /api so that both
 * `/api/wallets/` and `/api/wallets` resolve (a sub-app mounted at /api/wallets cannot own the
 * trailing-slash form). Order matters: the static paths (funding/…, launches/…, refresh-all) are
 * registered before `/wallets/{wallet_address}` so they are never read as an address.
 */
export const portfolioRouter = createRouter()
  .route("/", portfolioFundingRouter)
  .route("/", portfolioLaunchesRouter)
  .route("/", portfolioWalletsRouter);
