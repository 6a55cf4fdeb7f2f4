-- Issue 10: the SwapQueue spacing is no longer the rate limit (the Jupiter token bucket is), and simulated
-- fills must not wait. A config still at the old default 2000 ms goes to the new default 0; an operator's
-- own value is kept.
UPDATE `config` SET `swap_min_spacing_ms` = 0 WHERE `swap_min_spacing_ms` = 2000;
