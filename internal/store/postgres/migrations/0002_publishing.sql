-- The publishing engine (see the SQLite store's 0002_publishing.sql).
ALTER TABLE post_targets ADD COLUMN job_id BIGINT;
ALTER TABLE post_targets ADD COLUMN lease_until BIGINT;
ALTER TABLE post_targets ADD COLUMN next_attempt_at BIGINT;
CREATE INDEX post_targets_profile_published ON post_targets (social_profile_id, published_at);

ALTER TABLE social_profiles ADD COLUMN rate_limited_until BIGINT;

CREATE TABLE worker_nodes (
	id           TEXT COLLATE "C" PRIMARY KEY,
	started_at   BIGINT NOT NULL,
	heartbeat_at BIGINT NOT NULL
);

CREATE TABLE oauth_apps (
	provider      TEXT COLLATE "C" NOT NULL,
	server        TEXT COLLATE "C" NOT NULL,
	redirect_uri  TEXT COLLATE "C" NOT NULL,
	client_id     TEXT NOT NULL,
	client_secret BYTEA NOT NULL,
	created_at    BIGINT NOT NULL,
	PRIMARY KEY (provider, server, redirect_uri)
);

CREATE TABLE oauth_states (
	state_hash   BYTEA PRIMARY KEY,
	session_id   TEXT COLLATE "C" NOT NULL,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	provider     TEXT COLLATE "C" NOT NULL,
	server       TEXT NOT NULL,
	verifier     BYTEA NOT NULL,
	expires_at   BIGINT NOT NULL
);
