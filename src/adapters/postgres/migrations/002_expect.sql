-- Guards for single-statement commands: a command that wrote what it read without locking
-- checks, in the same statement, that each conditional write hit the rows it expected. If not,
-- the whole statement (its own transaction) is rolled back with SQLSTATE RB001 and the command
-- retries the careful way, with row locks.
CREATE FUNCTION rebill_expect(actual bigint, expected bigint, what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF actual IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'rebill: % changed concurrently (% of % rows written)', what, actual, expected USING ERRCODE = 'RB001';
  END IF;
  RETURN true;
END;
$$;
