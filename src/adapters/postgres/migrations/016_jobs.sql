-- Background jobs (src/app/jobs). A job is written in the transaction of the state change that
-- causes it, so it exists iff that change committed. Workers claim due rows with SKIP LOCKED and
-- hold them under a lease (locked_until): past it, a job whose worker died is run again.
-- `failed` is the dead state: the last allowed attempt failed; an operator may retry it.
-- account_id is NULL for the engine's own (system) jobs, e.g. the recurring cleanup.
CREATE TABLE jobs (
  id text PRIMARY KEY,
  account_id text REFERENCES accounts (id),
  kind text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('ready', 'running', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  run_at timestamptz NOT NULL,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  -- Dedupes per kind, e.g. one row per slot of a recurring kind however many workers schedule it.
  key text,
  test_clock_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  FOREIGN KEY (account_id, test_clock_id) REFERENCES test_clocks (account_id, id)
);
CREATE UNIQUE INDEX jobs_kind_key ON jobs (kind, key) WHERE key IS NOT NULL;
-- Claiming in real time; a test clock's jobs are run by its advance instead.
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'ready' AND test_clock_id IS NULL;
CREATE INDEX jobs_clock_due ON jobs (test_clock_id, run_at) WHERE status = 'ready' AND test_clock_id IS NOT NULL;
-- Leases to check for expiry, and per-kind concurrency counts.
CREATE INDEX jobs_running ON jobs (kind, locked_until) WHERE status = 'running';
CREATE INDEX jobs_account ON jobs (account_id, id);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status = 'succeeded';
