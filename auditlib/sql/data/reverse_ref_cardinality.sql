-- One row for one referencing column: over the non-null references read (the whole table, or a
-- TABLESAMPLE ... REPEATABLE sample cut at :limit rows), how many there are and how many distinct rows they name;
-- equal counts mean no target row is referenced twice (one-to-one).
SELECT count(*) AS refs, count(DISTINCT s.ref) AS distinct_refs
FROM (SELECT t.{column} AS ref
      FROM {table} AS t TABLESAMPLE SYSTEM (CAST(:percent AS real)) REPEATABLE (0)
      WHERE t.{column} IS NOT NULL
      LIMIT CAST(:limit AS bigint)) AS s
