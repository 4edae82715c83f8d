-- Sessions know whose they are, so that a password change can end every other session of
-- the account and "sign out everywhere" can end them all.
--
-- Kept in step with migrations/postgres/0013_session_owners.sql; the two differ in types
-- and JSON functions only.

-- The signed-in account (the `uid` in the session's data); NULL for a session without one.
-- No foreign key: a session row must never fail to save, and sessions of deleted accounts
-- are ended when next seen.
ALTER TABLE sessions ADD COLUMN user_id INTEGER;
-- Sessions from before this migration: their owner is read from their data.
UPDATE sessions SET user_id = CAST(json_extract(CAST(data AS TEXT), '$.uid') AS INTEGER)
    WHERE json_valid(CAST(data AS TEXT))
      AND json_type(CAST(data AS TEXT), '$.uid') = 'integer';
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
