-- One row per member to impersonate: up to :per_organization members (smallest user id first) of each of the first
-- :organizations organisations that have members (smallest id first), as text, with every organisation the user
-- belongs to (a user chosen for two organisations comes back twice).
WITH members AS (
    SELECT CAST(m.{user} AS text) AS user_id, CAST(m.{tenant} AS text) AS organization
    FROM {membership} AS m
    WHERE m.{user} IS NOT NULL AND m.{tenant} IS NOT NULL
), chosen_organizations AS (
    SELECT DISTINCT organization FROM members ORDER BY organization LIMIT CAST(:organizations AS bigint)
), ranked AS (
    SELECT DISTINCT user_id, organization FROM members
    WHERE organization IN (SELECT organization FROM chosen_organizations)
), chosen AS (
    SELECT user_id, organization, row_number() OVER (PARTITION BY organization ORDER BY user_id) AS n FROM ranked
)
SELECT c.user_id, c.organization AS chosen_for,
       array_agg(DISTINCT m.organization ORDER BY m.organization) AS organizations
FROM chosen AS c
JOIN members AS m ON m.user_id = c.user_id
WHERE c.n <= CAST(:per_organization AS bigint)
GROUP BY c.user_id, c.organization
ORDER BY c.organization, c.user_id
