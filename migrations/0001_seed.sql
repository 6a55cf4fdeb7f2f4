-- Seed: the config singleton with every default (DESIGN §3) and the exit-strategy catalog.
INSERT INTO config (id) VALUES (1);
--> statement-breakpoint
INSERT INTO exit_strategies
  (name, description, is_default, stop_loss_percent, trailing_stop_percent, trailing_activation_percent,
   scaling_levels, mirror_exit_enabled, max_hold_minutes, take_profit_table)
VALUES
  ('Default', 'Balanced: 25% stop, 15% trail after +50%, sell 50% at 2x and 25% at 3x, mirror the leader.',
   1, 25, 15, 50, '[{"multiple":2,"sell_percent":50},{"multiple":3,"sell_percent":25}]', 1, NULL, '[]'),
  ('Conservative', 'Tight: 15% stop, 10% trail after +30%, sell 50% at 1.5x and 25% at 2x, 24 h max hold.',
   0, 15, 10, 30, '[{"multiple":1.5,"sell_percent":50},{"multiple":2,"sell_percent":25}]', 1, 1440, '[]'),
  ('Aggressive', 'Loose: 40% stop, 25% trail after +100%, sell 25% at 3x and 25% at 5x, ride the rest.',
   0, 40, 25, 100, '[{"multiple":3,"sell_percent":25},{"multiple":5,"sell_percent":25}]', 1, NULL, '[]');
