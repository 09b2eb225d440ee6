-- At most one row: a user of the users table who belongs to no organisation (smallest id first), as text.
SELECT CAST(u.{key} AS text) AS user_id
FROM {users} AS u
WHERE NOT EXISTS (SELECT 1 FROM {membership} AS m WHERE CAST(m.{user} AS text) = CAST(u.{key} AS text))
ORDER BY 1
LIMIT 1
