-- Invitations to join a workspace: a pending offer to an e-mail address with
-- a role, accepted once with a token whose SHA-256 is token_hash. At most one
-- pending (not accepted) invitation per workspace and e-mail: inviting again
-- replaces it.
CREATE TABLE invitations (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	email        TEXT NOT NULL,
	role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	invited_by   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash   BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	accepted_at  INTEGER
);
CREATE UNIQUE INDEX invitations_pending ON invitations (workspace_id, email) WHERE accepted_at IS NULL;
CREATE INDEX invitations_expires ON invitations (expires_at);
