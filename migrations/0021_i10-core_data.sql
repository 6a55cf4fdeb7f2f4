-- Hot-state version (issue 10): the singleton row, and the triggers that bump it on every write that changes
-- what the actors cache. A migration that rebuilds one of these tables (drizzle's __new_<table> copy) drops
-- its triggers: test/hot-state.test.ts checks each one still fires.
INSERT INTO `hot_state` (`id`, `version`) VALUES (1, 0) ON CONFLICT (`id`) DO NOTHING;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_config_update` AFTER UPDATE ON `config`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_breaker_insert` AFTER INSERT ON `circuit_breaker_events`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_wallet_insert` AFTER INSERT ON `wallets`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_wallet_delete` AFTER DELETE ON `wallets`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_wallet_update` AFTER UPDATE OF `address`, `mode`, `is_active`,
  `exit_strategy_id`, `capital_allocation_percent`, `min_leader_trade_sol`, `max_leader_trade_sol`, `allow_rebuys`,
  `rebuy_size_percent`, `mint_cooldown_seconds`, `position_sizing_mode`, `fixed_position_usd`, `leader_ratio`,
  `deactivated_at` ON `wallets`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_strategy_insert` AFTER INSERT ON `exit_strategies`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_strategy_update` AFTER UPDATE ON `exit_strategies`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS `hot_state_strategy_delete` AFTER DELETE ON `exit_strategies`
BEGIN UPDATE `hot_state` SET `version` = `version` + 1 WHERE `id` = 1; END;
