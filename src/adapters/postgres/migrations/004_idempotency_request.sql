-- The request that reserved an Idempotency-Key. Its audit rows carry the same request id, so
-- when that request died after committing but before storing its answer, a retry can see that
-- it changed something and must not run it again.
ALTER TABLE idempotency_keys ADD COLUMN request_id text;
CREATE INDEX audit_log_request_idx ON audit_log (account_id, request_id);
