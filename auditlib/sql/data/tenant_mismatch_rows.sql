-- One row for one reference between two tables that both carry the tenant column: the child rows whose reference
-- finds its parent (joined), those whose parent belongs to another tenant (mismatched; rows where either tenant is
-- NULL are left to tenant_null_rows), and up to five keys of such child rows spread over their sorted order.
SELECT count(*) AS joined,
       count(*) FILTER (WHERE {child_tenant} <> {parent_tenant}) AS mismatched,
       percentile_disc(CAST(ARRAY[0, 0.25, 0.5, 0.75, 1] AS float8[])) WITHIN GROUP (ORDER BY {key_text})
           FILTER (WHERE {child_tenant} <> {parent_tenant}) AS sample_keys
FROM {child} AS c
JOIN {parent} AS p ON {match}
