-- Detached signatures of release files: an asset named X.asc or X.sig beside X is checked
-- when either is uploaded (or renamed, or X deleted), and the outcome kept on the
-- signature's row: signature_state 'verified' (an SSH signature by a key the uploader
-- registered), 'unverified' (OpenPGP, or an SSH key the uploader did not register), 'bad'
-- (does not match the file, another namespace, unreadable) or '' (not a signature, or the
-- signed file is missing). signature_reason is a stable key; signature_signer the SHA-256
-- fingerprint of the signing key when known.
ALTER TABLE release_assets ADD COLUMN signature_state  TEXT NOT NULL DEFAULT '';
ALTER TABLE release_assets ADD COLUMN signature_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE release_assets ADD COLUMN signature_signer TEXT NOT NULL DEFAULT '';
