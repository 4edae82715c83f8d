-- Proposals withdrawn by their author or closed by the committee, and slugs held once per
-- program (the incubator).
--
-- Kept in step with migrations/sqlite/0029_proposal_closing.sql; the two differ in types
-- only.

-- Why a proposal was withdrawn (by its author) or closed (by the committee or an owner of
-- the organization), and who did it; the audit log keeps the same.
ALTER TABLE proposals ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN closed_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
CREATE INDEX proposals_closed_by_idx ON proposals (closed_by);
-- A slug is held by one proposal of a program at a time (until it is rejected, withdrawn
-- or closed) and never by a proposal and a project at once; the store checks it in the
-- transaction that writes the slug, looking it up here.
CREATE INDEX proposals_program_id_lower_slug_idx ON proposals (program_id, lower(slug));
