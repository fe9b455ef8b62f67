-- Recovery analytics and the messages of a dunning case (issue 17, point 6). Indexes only.

-- The messages about an invoice, read for a page of dunning cases and for the channel that
-- preceded a recovery; only messages about an invoice are ever looked up this way.
CREATE INDEX notifications_invoice_idx ON notifications (account_id, invoice_id) WHERE invoice_id IS NOT NULL;

-- The cases an account opened in a range of business time (GET /v1/analytics/recovery).
CREATE INDEX dunning_cases_opened_idx ON dunning_cases (account_id, first_failure_at);
