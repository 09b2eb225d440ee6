-- One row per combination of values of a table's references to the parents its tenant is judged through, over
-- the rows the impersonated user sees (row level security applies): the values as text, k1, k2, ... (NULL for rows
-- without one), and how many visible rows hold them. At most :limit rows come back. The sample clause is empty
-- (every row) or a page sample of a large table (probe.scan_rows).
SELECT {keys}, count(*) AS n
FROM {table} AS c {sample}
GROUP BY {groups}
ORDER BY {groups}
LIMIT CAST(:limit AS bigint)
