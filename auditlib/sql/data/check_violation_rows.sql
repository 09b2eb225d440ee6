-- One row for one CHECK constraint declared NOT VALID: the table's rows (total), those whose condition is false
-- (violations: the rows that make VALIDATE CONSTRAINT fail; a NULL result passes, as in PostgreSQL), and up to five
-- keys of such rows spread over their sorted order (duplicates possible). One pass over the table.
SELECT count(*) AS total,
       count(*) FILTER (WHERE {violates}) AS violations,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY {key_text})
           FILTER (WHERE {violates}) AS sample_keys
FROM {table} AS t
