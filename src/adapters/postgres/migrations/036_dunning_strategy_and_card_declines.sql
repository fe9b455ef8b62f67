-- A dunning policy's retry strategy gets its own column (until now it rode inside the
-- category_actions document), and a card's recent declines are found by index.

ALTER TABLE dunning_policies ADD COLUMN retry_strategy text NOT NULL DEFAULT 'fixed_schedule'
  CHECK (retry_strategy IN ('fixed_schedule', 'payday_aware'));
UPDATE dunning_policies
   SET retry_strategy = coalesce(category_actions->>'retry_strategy', 'fixed_schedule'),
       category_actions = category_actions - 'retry_strategy'
 WHERE category_actions ? 'retry_strategy';

-- The card networks count declines per card over 30 days: dunning reads them for every case it
-- steps or plans. Without this, each read scanned every attempt of the account.
CREATE INDEX payment_attempts_card_declines_idx ON payment_attempts (account_id, payment_method_id, updated_at)
  WHERE status = 'failed';
