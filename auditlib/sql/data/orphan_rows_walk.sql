-- One row for one single-column reference whose column leads a btree index and holds few distinct values: the same
-- facts as orphan_rows.sql (total, with_value, orphans, dangling_values, up to five sorted dangling values), found
-- without grouping every row. The distinct values are walked through the index (a loose index scan: one descent
-- per value), the dangling ones are counted through the index, and the totals come from a plain count(*) of the
-- child (an index-only scan the server runs in parallel) and a count of its NULLs through the index. The totals run
-- only when some value dangles: a clean reference costs one descent per distinct value (its totals read 0).
WITH RECURSIVE walk AS (
    (SELECT c.{column} AS v FROM {child} AS c WHERE c.{column} IS NOT NULL ORDER BY c.{column} LIMIT 1)
    UNION ALL
    SELECT (SELECT c.{column} FROM {child} AS c WHERE c.{column} > w.v ORDER BY c.{column} LIMIT 1)
    FROM walk AS w
    WHERE w.v IS NOT NULL
), dangling AS MATERIALIZED (
    SELECT w.v FROM walk AS w LEFT JOIN {parent} AS p ON {match} WHERE w.v IS NOT NULL AND p.{probe} IS NULL
), totals AS MATERIALIZED (
    SELECT CASE WHEN EXISTS (SELECT FROM dangling) THEN (SELECT count(*) FROM {child} AS c) ELSE 0 END AS total,
           CASE WHEN EXISTS (SELECT FROM dangling)
                THEN (SELECT count(*) FROM {child} AS c WHERE c.{column} IS NULL) ELSE 0 END AS nulls
)
SELECT t.total, t.total - t.nulls AS with_value,
       (SELECT count(*) FROM {child} AS c WHERE c.{column} = ANY (ARRAY(SELECT d.v FROM dangling AS d))) AS orphans,
       (SELECT count(*) FROM dangling) AS dangling_values,
       ARRAY(SELECT CAST(d.v AS text) FROM dangling AS d ORDER BY 1 LIMIT 5) AS sample_values
FROM totals AS t
