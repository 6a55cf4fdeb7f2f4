-- Issue 9 item 7: positions.scaling_levels_hit held indexes into the position's scaling table; it now holds
-- the multiples of the levels hit. Map each index through the table the position used (its override's
-- scaling_levels when it has one, else its strategy's), so the read model keeps naming the same levels.
-- Open positions are re-synced from their PositionActor, which migrates its own stored state the same way.
UPDATE positions
SET scaling_levels_hit = (
  SELECT json_group_array(json_extract(lv.value, '$.multiple'))
  FROM json_each(positions.scaling_levels_hit) AS h
  JOIN json_each(
    COALESCE(
      json_extract(positions.strategy_override, '$.scaling_levels'),
      (SELECT e.scaling_levels FROM exit_strategies e WHERE e.id = positions.exit_strategy_id),
      '[]'
    )
  ) AS lv ON lv.key = h.value
)
WHERE scaling_levels_hit <> '[]' AND json_valid(scaling_levels_hit);
