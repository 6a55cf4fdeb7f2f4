-- Issue 15: first_funded_at is set exactly once whatever path sets FUNDED. Before the status rule, PUT
-- could set FUNDED by hand with no first_funded_at; give those rows the best time known (the balance
-- reading, else the last change) so every FUNDED wallet has one.
UPDATE `wallet_info`
SET `first_funded_at` = coalesce(`balance_refreshed_at`, `updated_at`)
WHERE `status` = 'FUNDED' AND `first_funded_at` IS NULL;
