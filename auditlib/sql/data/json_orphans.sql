-- One row for one JSON path of one column and the table its ids belong to, over the whole table: the ids found at the
-- path (strings and numbers; JSON nulls left out), those naming no row of the target (dangling), the rows holding at
-- least one dangling id, the distinct dangling ids, and up to five of them and five keys of rows holding them,
-- spread over their sorted order (duplicates possible). The path is bound as :path (SQL/JSON path; structural
-- errors such as a missing key skip that item only).
SELECT count(*) AS refs,
       count(*) FILTER (WHERE p.{key} IS NULL) AS dangling,
       count(DISTINCT r.row_key) FILTER (WHERE p.{key} IS NULL) AS dangling_rows,
       count(DISTINCT r.ref) FILTER (WHERE p.{key} IS NULL) AS dangling_values,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY r.ref)
           FILTER (WHERE p.{key} IS NULL) AS sample_values,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY r.row_key)
           FILTER (WHERE p.{key} IS NULL) AS sample_keys
FROM (SELECT {key_text} AS row_key, v.value #>> CAST(ARRAY[] AS text[]) AS ref
      FROM {table} AS t
      CROSS JOIN LATERAL pg_catalog.jsonb_path_query(CAST(t.{column} AS jsonb), CAST(:path AS jsonpath),
                                                     pg_catalog.jsonb_build_object(), true) AS v(value)
      WHERE pg_catalog.jsonb_typeof(v.value) IN ('string', 'number')) AS r
LEFT JOIN {target} AS p ON CAST(p.{key} AS text) = r.ref
