-- One row for one table or view, read as the impersonated role (row level security applies): how many of its rows
-- the role sees, counting at most :cap rows (NULL: every row). Only the count comes back.
SELECT count(*) AS visible
FROM (SELECT 1 FROM {relation} LIMIT CAST(:cap AS bigint)) AS t
