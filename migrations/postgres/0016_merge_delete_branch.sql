-- Whether the merge box's "delete the head branch after merging" starts checked.
ALTER TABLE repo_merge_settings ADD COLUMN delete_branch BIGINT NOT NULL DEFAULT 0
    CHECK (delete_branch IN (0, 1));
