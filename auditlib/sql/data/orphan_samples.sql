-- One row per sample child row (at most five, smallest key first) whose reference holds one of the dangling values
-- in :values (text): the row's key as text. The values are compared in the column's own type where they can be,
-- so an index on the reference column finds the rows.
SELECT {key_text} AS key
FROM {child} AS c
WHERE {condition}
ORDER BY 1
LIMIT 5
