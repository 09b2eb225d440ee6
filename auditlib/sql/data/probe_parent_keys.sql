-- One row per combination of values of a table's references to the parents its tenant is judged through, over
-- the rows the impersonated user sees (row level security applies): the values as text, k1, k2, ... (NULL for rows
-- without one), and how many visible rows hold them. At most :limit rows come back.
SELECT {keys}, count(*) AS n
FROM {table} AS c
GROUP BY {groups}
ORDER BY {groups}
LIMIT CAST(:limit AS bigint)
