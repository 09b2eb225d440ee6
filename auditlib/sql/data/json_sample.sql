-- One row per sampled document of a JSON column (NULLs and documents over :max_bytes left out): the document as
-- jsonb. The sample is a TABLESAMPLE SYSTEM ... REPEATABLE slice of the table's pages, cut at :limit rows.
SELECT CAST(t.{column} AS jsonb) AS document
FROM {table} AS t TABLESAMPLE SYSTEM (CAST(:percent AS real)) REPEATABLE (0)
WHERE t.{column} IS NOT NULL
  AND pg_catalog.pg_column_size(t.{column}) <= CAST(:max_bytes AS bigint)
LIMIT CAST(:limit AS bigint)
