-- Which attempt on its invoice this is (1, 2, …), as the gateway is told: a processor (or a
-- merchant's custom gateway simulating one) may behave by it, e.g. decline the first two tries.
ALTER TABLE payment_attempts ADD COLUMN attempt_number integer NOT NULL DEFAULT 1 CHECK (attempt_number >= 1);
