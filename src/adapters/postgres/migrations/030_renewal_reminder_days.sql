-- How many days before a renewal its reminder goes out (docs/notifications.md). NULL: Rebill's
-- default, 7 days, or 30 for yearly plans; a number applies to every plan.
ALTER TABLE accounts ADD COLUMN renewal_reminder_days integer CHECK (renewal_reminder_days BETWEEN 1 AND 60);
