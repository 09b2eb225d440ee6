-- One row for one JSON path of one column and the table its ids belong to: the ids found at the path (strings and
-- numbers; JSON nulls left out), those naming no row of the target (dangling), the rows holding at least one
-- dangling id, the distinct dangling ids, and up to five of them and five keys of rows holding them, spread over
-- their sorted order (duplicates possible). The path is bound as :path (SQL/JSON path; structural errors such as a
-- missing key skip that item only). The sample clause is empty (every row) or a TABLESAMPLE SYSTEM clause (the bound
-- percent of the table's pages, REPEATABLE).
-- The ids are looked up in a hash of the target's keys built once (a hashed subplan), not joined row by row, and
-- only dangling ids keep their value and row key, so the grouping holds one group for all the others.
SELECT COALESCE(sum(f.n), 0)::bigint AS refs,
       COALESCE(sum(f.n) FILTER (WHERE f.dangling), 0)::bigint AS dangling,
       count(DISTINCT f.row_key) AS dangling_rows,
       count(DISTINCT f.ref) AS dangling_values,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY f.ref)
           FILTER (WHERE f.dangling) AS sample_values,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY f.row_key)
           FILTER (WHERE f.dangling) AS sample_keys
FROM (SELECT d.dangling, CASE WHEN d.dangling THEN d.ref END AS ref,
             CASE WHEN d.dangling THEN {key_text} END AS row_key, count(*) AS n
      FROM {table} AS t {sample}
      CROSS JOIN LATERAL pg_catalog.jsonb_path_query(CAST(t.{column} AS jsonb), CAST(:path AS jsonpath),
                                                     pg_catalog.jsonb_build_object(), true) AS v(value)
      CROSS JOIN LATERAL (SELECT v.value #>> CAST(ARRAY[] AS text[]) AS ref) AS r
      CROSS JOIN LATERAL (SELECT r.ref,
                                 NOT (r.ref IN (SELECT CAST(p.{key} AS text) FROM {target} AS p)) AS dangling) AS d
      WHERE pg_catalog.jsonb_typeof(v.value) IN ('string', 'number')
      GROUP BY 1, 2, 3) AS f
