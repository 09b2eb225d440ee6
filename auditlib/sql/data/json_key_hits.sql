-- One row: how many of the sampled ids bound as :values (text) name a row of a candidate table. The ids are compared
-- in the key's own type where they can be, so the key's index answers.
SELECT count(DISTINCT p.{key}) AS hits
FROM {table} AS p
WHERE {condition}
