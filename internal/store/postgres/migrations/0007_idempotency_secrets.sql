-- Idempotent answers are replayed only to the API key that made the first
-- request (api_key_id) and are stored sealed with the secret key. An answer
-- that carries a secret names it (secret_ref, e.g. "api_key:<id>") so that
-- it is not replayed once that secret is revoked.
ALTER TABLE idempotency_keys ADD COLUMN api_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN secret_ref TEXT NOT NULL DEFAULT '';
-- Answers stored before were kept in plain text and may carry secrets (a new
-- API key): forget them. Claims still in progress stay.
DELETE FROM idempotency_keys WHERE body IS NOT NULL;

-- Housekeeping deletes expired sessions and OAuth states.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
