-- One row for one table or view, read as the impersonated role (row level security applies): how many of its rows
-- the role sees, counting at most :cap rows (NULL: every row). The sample clause is empty (every row) or a page
-- sample of a large table (probe.scan_rows). Only the count comes back.
SELECT count(*) AS visible
FROM (SELECT 1 FROM {relation} AS r {sample} LIMIT CAST(:cap AS bigint)) AS t
