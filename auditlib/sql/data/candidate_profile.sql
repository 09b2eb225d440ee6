-- One row per candidate of one table: a numeric column, a categorical text column, or a start/end pair of
-- date columns (kind 'numeric', 'text' or 'pair'; second_column is the end of a pair). Over the rows read (the
-- whole table, or a TABLESAMPLE ... REPEATABLE sample cut at :limit rows): how many hold the value(s), the
-- range, negatives and zeros, reversed pairs and the end - start gap in days, and the distinct text values (at
-- most :max_values + 1 of them, sorted) with the longest one's length.
-- Candidates arrive as three parallel arrays; each sampled row is read once, as jsonb, and unpivoted per candidate.
WITH sample AS (
    SELECT {columns}
    FROM {table} TABLESAMPLE SYSTEM (CAST(:percent AS real)) REPEATABLE (0)
    LIMIT CAST(:limit AS bigint)
), sampled AS (
    SELECT pg_catalog.to_jsonb(s) AS r FROM sample AS s
), valued AS (
    SELECT c.kind, c.first_column, c.second_column, sampled.r ->> c.first_column AS a,
           CASE WHEN c.second_column IS NOT NULL THEN sampled.r ->> c.second_column END AS b
    FROM ROWS FROM (pg_catalog.unnest(CAST(:kinds AS text[])), pg_catalog.unnest(CAST(:first_columns AS text[])),
                    pg_catalog.unnest(CAST(:second_columns AS text[]))) AS c(kind, first_column, second_column)
    CROSS JOIN sampled
)
SELECT kind, first_column, second_column,
       count(*) AS rows_read,
       count(*) FILTER (WHERE a IS NOT NULL AND (second_column IS NULL OR b IS NOT NULL)) AS rows_checked,
       min(CASE WHEN kind = 'numeric' THEN CAST(a AS numeric) END) AS min_value,
       max(CASE WHEN kind = 'numeric' THEN CAST(a AS numeric) END) AS max_value,
       count(CASE WHEN kind = 'numeric' AND a IS NOT NULL THEN
                  CASE WHEN CAST(a AS numeric) < 0 THEN 1 END END) AS negatives,
       count(CASE WHEN kind = 'numeric' AND a IS NOT NULL THEN
                  CASE WHEN CAST(a AS numeric) = 0 THEN 1 END END) AS zeros,
       count(CASE WHEN kind = 'pair' AND a IS NOT NULL AND b IS NOT NULL THEN
                  CASE WHEN CAST(b AS timestamptz) < CAST(a AS timestamptz) THEN 1 END END) AS reversed,
       min(CASE WHEN kind = 'pair' THEN
               pg_catalog.date_part('epoch', CAST(b AS timestamptz) - CAST(a AS timestamptz)) / 86400 END)
           AS min_gap_days,
       max(CASE WHEN kind = 'pair' THEN
               pg_catalog.date_part('epoch', CAST(b AS timestamptz) - CAST(a AS timestamptz)) / 86400 END)
           AS max_gap_days,
       count(DISTINCT CASE WHEN kind = 'text' THEN a END) AS distinct_values,
       (pg_catalog.array_agg(DISTINCT a) FILTER (WHERE kind = 'text' AND a IS NOT NULL))
           [1:CAST(:max_values AS int) + 1] AS sample_values,
       max(CASE WHEN kind = 'text' THEN pg_catalog.length(a) END) AS max_length
FROM valued
GROUP BY kind, first_column, second_column
ORDER BY kind, first_column, second_column
