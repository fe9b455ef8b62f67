-- Commit-ordered events. Event ids are minted in the application (UUIDv7) before their
-- transaction commits, so a transaction that minted a later id can commit first: a consumer
-- reading "ids after the last one I saw" would skip the earlier one for good. The sequencer
-- (src/app/events/sequencer.ts) gives committed events a `sequence` afterwards, one run at a
-- time, so sequences become visible in increasing order and "sequence > N" never misses one.
-- NULL until assigned; assigned once; global across accounts (one stream for one dispatcher).
ALTER TABLE events
  ADD COLUMN sequence bigint,
  -- When the event entered the stream, by the system clock: retention counts from here, not
  -- from created_at, which follows a test clock and may lie years in the past or future.
  ADD COLUMN sequenced_at timestamptz,
  -- The API version whose shapes `data.object` has. Written by UnitOfWork.emit from
  -- API_VERSION (src/app/events/api-version.ts); the default covers rows written before 017.
  ADD COLUMN api_version text NOT NULL DEFAULT '2026-11-30';

-- Values are handed out only under the sequencer's advisory lock, a block per run.
CREATE SEQUENCE events_sequence_seq AS bigint;

CREATE UNIQUE INDEX events_sequence_key ON events (sequence) WHERE sequence IS NOT NULL;
-- An account's consumer: GET /v1/events?after_sequence=N.
CREATE INDEX events_account_sequence_idx ON events (account_id, sequence) WHERE sequence IS NOT NULL;
-- The sequencer's work list; stays small because rows leave it once sequenced.
CREATE INDEX events_unsequenced_idx ON events (created_at, id) WHERE sequence IS NULL;
