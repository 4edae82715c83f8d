-- Site administration: a user an administrator has disabled cannot sign in, use access
-- tokens or git, and their sessions end at their next request. Site settings changed at
-- run time (sign-up, announcement) are rows of the existing `settings` table.
--
-- Kept in step with migrations/postgres/0015_admin.sql.
ALTER TABLE accounts ADD COLUMN is_disabled INTEGER NOT NULL DEFAULT 0 CHECK (is_disabled IN (0, 1));
