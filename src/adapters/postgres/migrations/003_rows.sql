-- Rows of a table's type from a JSON array, for keyed UPDATE ... FROM joins.
-- jsonb_populate_recordset tells the planner it returns 100 rows, so while a table is small it
-- hashes the whole table instead of probing its primary key, and a generic plan cached then
-- keeps scanning every row as the table grows (seen: 4 ms per settlement at 5,000 invoices).
-- Our batches are small; saying ROWS 1 makes every plan a nested loop over the key index.
-- PL/pgSQL, not SQL: a SQL function would be inlined and the estimate lost.
CREATE FUNCTION rebill_rows(shape anyelement, rows jsonb) RETURNS SETOF anyelement
LANGUAGE plpgsql STABLE ROWS 1 AS $$
BEGIN
  RETURN QUERY SELECT * FROM jsonb_populate_recordset(shape, rows);
END;
$$;
