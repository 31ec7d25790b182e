-- Free trials per recurring price (catalog `trial_period_days`): the days a subscription to it starts with.
ALTER TABLE prices ADD COLUMN trial_period_days INTEGER
    CHECK (trial_period_days IS NULL OR (trial_period_days BETWEEN 1 AND 730 AND recurring_interval IS NOT NULL));
