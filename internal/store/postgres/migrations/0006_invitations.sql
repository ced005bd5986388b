-- Invitations to join a workspace: a pending offer to an e-mail address with
-- a role, accepted once with a token whose SHA-256 is token_hash. At most one
-- pending (not accepted) invitation per workspace and e-mail: inviting again
-- replaces it. The same table as the SQLite store's 0006_invitations.sql.
CREATE TABLE invitations (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	email        TEXT NOT NULL,
	role         TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	invited_by   TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash   BYTEA NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	accepted_at  BIGINT
);
CREATE UNIQUE INDEX invitations_pending ON invitations (workspace_id, email) WHERE accepted_at IS NULL;
CREATE INDEX invitations_expires ON invitations (expires_at);
