CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	email         TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);

CREATE TABLE workspaces (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE workspace_members (
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       BLOB NOT NULL UNIQUE,
	csrf_token TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

CREATE TABLE social_profiles (
	id             TEXT PRIMARY KEY,
	workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	provider       TEXT NOT NULL,
	name           TEXT NOT NULL,
	image          TEXT NOT NULL DEFAULT '',
	external_id    TEXT NOT NULL,
	credentials    BLOB,
	status         TEXT NOT NULL,
	status_message TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (workspace_id, provider, external_id)
);

CREATE TABLE brand_kits (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	colors       TEXT NOT NULL DEFAULT '[]',
	fonts        TEXT NOT NULL DEFAULT '[]',
	logo_url     TEXT NOT NULL DEFAULT '',
	do_words     TEXT NOT NULL DEFAULT '[]',
	dont_words   TEXT NOT NULL DEFAULT '[]',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX brand_kits_workspace ON brand_kits (workspace_id, created_at);

CREATE TABLE hashtag_libraries (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hashtags     TEXT NOT NULL DEFAULT '[]',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX hashtag_libraries_workspace ON hashtag_libraries (workspace_id, created_at);

CREATE TABLE studio_templates (
	id            TEXT PRIMARY KEY,
	workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	thumbnail_url TEXT NOT NULL DEFAULT '',
	width         INTEGER NOT NULL DEFAULT 0,
	height        INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX studio_templates_workspace ON studio_templates (workspace_id, created_at);

CREATE TABLE posts (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	created_by   TEXT NOT NULL REFERENCES users (id),
	post_type    TEXT NOT NULL,
	status       TEXT NOT NULL,
	caption      TEXT NOT NULL,
	media        TEXT NOT NULL DEFAULT '[]',
	scheduled_at INTEGER,
	version      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX posts_workspace_created ON posts (workspace_id, created_at DESC, id DESC);
CREATE INDEX posts_workspace_status_created ON posts (workspace_id, status, created_at DESC, id DESC);

CREATE TABLE post_targets (
	id                TEXT PRIMARY KEY,
	post_id           TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	social_profile_id TEXT NOT NULL REFERENCES social_profiles (id) ON DELETE CASCADE,
	provider          TEXT NOT NULL,
	state             TEXT NOT NULL,
	attempts          INTEGER NOT NULL DEFAULT 0,
	error_code        TEXT NOT NULL DEFAULT '',
	error_message     TEXT NOT NULL DEFAULT '',
	remote_id         TEXT NOT NULL DEFAULT '',
	remote_url        TEXT NOT NULL DEFAULT '',
	published_at      INTEGER,
	updated_at        INTEGER NOT NULL,
	UNIQUE (post_id, social_profile_id)
);
CREATE INDEX post_targets_profile ON post_targets (social_profile_id);

CREATE TABLE idempotency_keys (
	user_id      TEXT NOT NULL,
	idem_key     TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	body         BLOB,
	created_at   INTEGER NOT NULL,
	completed_at INTEGER,
	PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
