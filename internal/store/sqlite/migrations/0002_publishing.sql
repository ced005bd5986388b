-- The publishing engine: each target remembers its queued job, the lease of
-- an attempt in flight and when it is retried; each profile when its
-- network's rate limit resets; nodes record that their workers are alive;
-- OAuth connection flows keep their registered apps and pending states.
ALTER TABLE post_targets ADD COLUMN job_id INTEGER;
ALTER TABLE post_targets ADD COLUMN lease_until INTEGER;
ALTER TABLE post_targets ADD COLUMN next_attempt_at INTEGER;
CREATE INDEX post_targets_profile_published ON post_targets (social_profile_id, published_at);

ALTER TABLE social_profiles ADD COLUMN rate_limited_until INTEGER;

CREATE TABLE worker_nodes (
	id           TEXT PRIMARY KEY,
	started_at   INTEGER NOT NULL,
	heartbeat_at INTEGER NOT NULL
);

CREATE TABLE oauth_apps (
	provider      TEXT NOT NULL,
	server        TEXT NOT NULL,
	redirect_uri  TEXT NOT NULL,
	client_id     TEXT NOT NULL,
	client_secret BLOB NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (provider, server, redirect_uri)
);

CREATE TABLE oauth_states (
	state_hash   BLOB PRIMARY KEY,
	session_id   TEXT NOT NULL,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	provider     TEXT NOT NULL,
	server       TEXT NOT NULL,
	verifier     BLOB NOT NULL,
	expires_at   INTEGER NOT NULL
);
