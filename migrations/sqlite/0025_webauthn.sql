-- Security keys and passkeys (WebAuthn) as a second factor beside TOTP. `passkey` is the
-- credential as webauthn-rs serializes it (public key, signature counter, backup state),
-- rewritten after each use; `credential_id` is its id (base64url), unique on the site so
-- that one authenticator's credential belongs to one account. `lower_name`: the name a
-- person gave the key, unique per account.
--
-- Kept in step with migrations/postgres/0025_webauthn.sql.
CREATE TABLE webauthn_credentials (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    lower_name    TEXT    NOT NULL,
    credential_id TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE UNIQUE INDEX webauthn_credentials_credential_id_key ON webauthn_credentials (credential_id);
CREATE UNIQUE INDEX webauthn_credentials_user_id_lower_name_key ON webauthn_credentials (user_id, lower_name);
