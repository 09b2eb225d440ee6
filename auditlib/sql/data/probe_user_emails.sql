-- One row per user id given in :ids (text) found in the users table: the id and the user's e-mail address.
SELECT CAST(u.{key} AS text) AS user_id, CAST(u.{email} AS text) AS email
FROM {users} AS u
WHERE CAST(u.{key} AS text) = ANY (CAST(:ids AS text[]))
