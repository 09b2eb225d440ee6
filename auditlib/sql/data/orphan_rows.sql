-- One row for one reference (child columns that should name a parent key): the child's rows (total), those
-- holding a value in every reference column (with_value), those whose value names no parent row (orphans), the
-- distinct dangling values, and up to five of them spread over their sorted order (duplicates possible).
-- The child is grouped by its reference first (an index-only scan when the column is indexed), then the groups are
-- hash-joined to the parent: one pass over the child, and the parent is probed once per distinct value.
-- The grouped reference columns are named v1, v2, ... (g); the parent's key is compared with them (p).
SELECT COALESCE(sum(g.n), 0)::bigint AS total,
       COALESCE(sum(g.n) FILTER (WHERE {present}), 0)::bigint AS with_value,
       COALESCE(sum(g.n) FILTER (WHERE {present} AND p.{probe} IS NULL), 0)::bigint AS orphans,
       count(*) FILTER (WHERE {present} AND p.{probe} IS NULL) AS dangling_values,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY {value_text})
           FILTER (WHERE {present} AND p.{probe} IS NULL) AS sample_values
FROM (SELECT {values}, count(*) AS n FROM {child} AS c GROUP BY {groups}) AS g
LEFT JOIN {parent} AS p ON {match}
