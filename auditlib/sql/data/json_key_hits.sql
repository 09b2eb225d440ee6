-- One row for one candidate table (numbered {number}): how many of the sampled ids bound as :values_{number} (text)
-- name a row of it. The ids are compared in the key's own type where they can be, so the key's index answers.
-- The checks of every candidate of one JSON path are sent as one query, joined by UNION ALL.
SELECT {number} AS candidate, count(DISTINCT p.{key}) AS hits
FROM {table} AS p
WHERE {condition}
