-- Forks: the repository a fork was made from. NULL for repositories that are not forks,
-- and again once the parent is deleted (the fork keeps its own objects on disk).
--
-- Kept in step with migrations/sqlite/0010_forks.sql.
ALTER TABLE repositories ADD COLUMN fork_id BIGINT REFERENCES repositories (id) ON DELETE SET NULL;
-- The fork list of a repository and the ON DELETE SET NULL of its deletion.
CREATE INDEX repositories_fork_id_idx ON repositories (fork_id);
