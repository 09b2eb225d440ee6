-- One row for one inferred reference: of up to :values distinct non-NULL values of the child column (read from at
-- most :scan_rows rows, through a page sample of a large child), how many were sampled and how many exist in the
-- candidate parent's key (found). Each sampled value is looked up in the parent once, through its key's index.
WITH scanned AS (
    SELECT c.{column} AS v
    FROM {child} AS c {sample}
    WHERE c.{column} IS NOT NULL
    LIMIT CAST(:scan_rows AS bigint)
), sampled AS (
    SELECT DISTINCT s.v FROM scanned AS s LIMIT CAST(:values AS bigint)
)
SELECT count(*) AS sampled,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {parent} AS p WHERE {match})) AS found
FROM sampled AS d
