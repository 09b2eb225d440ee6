-- One row for one call of a function, made as the impersonated role: how many rows (at most :cap) the call
-- returned, and how many of them hold a value that is not empty (NULL, false, 0, '', an empty array or object count
-- as empty: a function that finds nothing for the caller answers that way). Only the counts come back, never the
-- values.
SELECT count(*) AS returned,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(r)) AS v(key, value)
                                      WHERE v.value NOT IN ('null', 'false', '0', '""', '[]', '{{}}'))) AS non_null
FROM (SELECT * FROM {function}({arguments}) LIMIT CAST(:cap AS bigint)) AS r
