-- Release candidates and release votes (the incubator).
--
-- Kept in step with migrations/sqlite/0024_release_candidates.sql; the two differ in
-- types only.

-- A release candidate of a repository linked to an incubating project: seen only by the
-- repository's writers and the program's committee until a release vote on it passes,
-- which publishes it (is_candidate back to 0, published_at set then). published_at stays
-- NULL while it is a candidate.
ALTER TABLE releases ADD COLUMN is_candidate BIGINT NOT NULL DEFAULT 0
    CHECK (is_candidate IN (0, 1));

-- The release a `release` vote approves (project_id names the project). A release
-- deleted leaves its votes (the program's record of its decisions) without it.
ALTER TABLE votes ADD COLUMN release_id BIGINT REFERENCES releases (id) ON DELETE SET NULL;
CREATE INDEX votes_release_id_idx ON votes (release_id);
