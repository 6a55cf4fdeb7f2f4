-- Seed fidelity (issue 16), data only.
-- 1. The seed's Default stop-loss is 20 %, not 25 %. Only a Default row still exactly as 0001_seed wrote it
--    is changed: the API bumps updated_at on every edit, so updated_at = created_at plus the seeded values
--    mean no operator touched it. An edited Default (any field, even saved unchanged) is left alone.
UPDATE exit_strategies
SET stop_loss_percent = 20,
    description = 'Balanced: 20% stop, 15% trail after +50%, sell 50% at 2x and 25% at 3x, mirror the leader.'
WHERE name = 'Default'
  AND stop_loss_percent = 25
  AND updated_at = created_at
  AND description = 'Balanced: 25% stop, 15% trail after +50%, sell 50% at 2x and 25% at 3x, mirror the leader.';
--> statement-breakpoint
-- 2. percent_capital now follows the seed (capital × allocation %). Rows that chose it under the old formula
--    (capital × allocation % × risk %) keep sizing exactly as before under its new name, risk_percent:
--    a silent 50× larger position on real money is not a migration side effect anyone wants.
UPDATE config SET position_sizing_mode = 'risk_percent' WHERE position_sizing_mode = 'percent_capital';
--> statement-breakpoint
UPDATE wallets SET position_sizing_mode = 'risk_percent' WHERE position_sizing_mode = 'percent_capital';
