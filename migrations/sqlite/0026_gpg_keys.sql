-- OpenPGP (GnuPG) public keys of users, which release signatures are verified against.
-- A key is a primary row (primary_id NULL) holding the key as kept (armored, with only its
-- own valid self-signatures: public_key) and its self-certified user ids (a JSON array of
-- strings, the primary one first), and one row per subkey (primary_id set, public_key and
-- user_ids empty). key_id is the 64-bit key id in 16 upper-case hex digits, fingerprint
-- the full one; a fingerprint, of a primary key or a subkey, is registered once on the
-- site. key_created_at and expires_at are the key's own times, created_at when it was
-- added. Usage flags come from the newest valid self-signature (can_sign of a subkey only
-- with its back-signature).
--
-- A verified OpenPGP release signature records the primary user id of the key that made
-- it (signature_identity). Before this migration OpenPGP signatures were not checked and
-- were kept as 'unverified' / 'openpgp'; no user had an OpenPGP key then, so they are
-- 'unknown_key' now and are checked when their uploader adds a key.
--
-- Kept in step with migrations/postgres/0026_gpg_keys.sql.
CREATE TABLE gpg_keys (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    primary_id          INTEGER REFERENCES gpg_keys (id) ON DELETE CASCADE,
    key_id              TEXT    NOT NULL,
    fingerprint         TEXT    NOT NULL,
    public_key          TEXT    NOT NULL DEFAULT '',
    user_ids            TEXT    NOT NULL DEFAULT '[]',
    can_sign            INTEGER NOT NULL DEFAULT 0 CHECK (can_sign IN (0, 1)),
    can_certify         INTEGER NOT NULL DEFAULT 0 CHECK (can_certify IN (0, 1)),
    can_encrypt_comms   INTEGER NOT NULL DEFAULT 0 CHECK (can_encrypt_comms IN (0, 1)),
    can_encrypt_storage INTEGER NOT NULL DEFAULT 0 CHECK (can_encrypt_storage IN (0, 1)),
    key_created_at      INTEGER NOT NULL,
    expires_at          INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX gpg_keys_fingerprint_key ON gpg_keys (fingerprint);
CREATE INDEX gpg_keys_user_id_idx ON gpg_keys (user_id);
CREATE INDEX gpg_keys_primary_id_idx ON gpg_keys (primary_id);

ALTER TABLE release_assets ADD COLUMN signature_identity TEXT NOT NULL DEFAULT '';
UPDATE release_assets SET signature_reason = 'unknown_key'
 WHERE signature_state = 'unverified' AND signature_reason = 'openpgp';
