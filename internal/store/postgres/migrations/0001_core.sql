-- Herald's core schema for PostgreSQL: the same tables, columns, checks and
-- indexes as the SQLite store's 0001_core.sql, since the queries in
-- internal/store/sqlstore are shared. Translation rules:
--   INTEGER -> BIGINT (Unix milliseconds, counters: SQLite integers are 64-bit)
--   BLOB    -> BYTEA
--   JSON lists stay TEXT (the shared queries encode and decode them).
-- Identifiers and enum codes are COLLATE "C": they compare and sort bytewise,
-- as in SQLite, whatever the database's default collation, so that ties in
-- ORDER BY ..., id come out in the same order on both stores, and index
-- comparisons are memcmp rather than locale-aware.
-- Tables are created unqualified: they land in the first schema of the
-- connection's search_path.

CREATE TABLE users (
	id            TEXT COLLATE "C" PRIMARY KEY,
	name          TEXT NOT NULL,
	email         TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL
);

CREATE TABLE workspaces (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE workspace_members (
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role         TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

CREATE TABLE api_keys (
	id           TEXT COLLATE "C" PRIMARY KEY,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
	id         TEXT COLLATE "C" PRIMARY KEY,
	user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       BYTEA NOT NULL UNIQUE,
	csrf_token TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE TABLE social_profiles (
	id             TEXT COLLATE "C" PRIMARY KEY,
	workspace_id   TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	provider       TEXT COLLATE "C" NOT NULL,
	name           TEXT NOT NULL,
	image          TEXT NOT NULL DEFAULT '',
	external_id    TEXT COLLATE "C" NOT NULL,
	credentials    BYTEA,
	status         TEXT COLLATE "C" NOT NULL,
	status_message TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	UNIQUE (workspace_id, provider, external_id)
);

CREATE TABLE brand_kits (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	colors       TEXT NOT NULL DEFAULT '[]',
	fonts        TEXT NOT NULL DEFAULT '[]',
	logo_url     TEXT NOT NULL DEFAULT '',
	do_words     TEXT NOT NULL DEFAULT '[]',
	dont_words   TEXT NOT NULL DEFAULT '[]',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX brand_kits_workspace ON brand_kits (workspace_id, created_at);

CREATE TABLE hashtag_libraries (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hashtags     TEXT NOT NULL DEFAULT '[]',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX hashtag_libraries_workspace ON hashtag_libraries (workspace_id, created_at);

CREATE TABLE studio_templates (
	id            TEXT COLLATE "C" PRIMARY KEY,
	workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	thumbnail_url TEXT NOT NULL DEFAULT '',
	width         BIGINT NOT NULL DEFAULT 0,
	height        BIGINT NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX studio_templates_workspace ON studio_templates (workspace_id, created_at);

CREATE TABLE posts (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	created_by   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
	post_type    TEXT COLLATE "C" NOT NULL,
	status       TEXT COLLATE "C" NOT NULL,
	caption      TEXT NOT NULL,
	media        TEXT NOT NULL DEFAULT '[]',
	scheduled_at BIGINT,
	version      BIGINT NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
-- FindPosts reads a page newest first by walking one of these backwards
-- from the workspace's (and status's) newest entry; with several statuses
-- it walks one range per status and merges them.
CREATE INDEX posts_workspace_created ON posts (workspace_id, created_at DESC, id DESC);
CREATE INDEX posts_workspace_status_created ON posts (workspace_id, status, created_at DESC, id DESC);

CREATE TABLE post_targets (
	id                TEXT COLLATE "C" PRIMARY KEY,
	post_id           TEXT COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	social_profile_id TEXT COLLATE "C" NOT NULL REFERENCES social_profiles (id) ON DELETE CASCADE,
	provider          TEXT COLLATE "C" NOT NULL,
	state             TEXT COLLATE "C" NOT NULL,
	attempts          BIGINT NOT NULL DEFAULT 0,
	error_code        TEXT NOT NULL DEFAULT '',
	error_message     TEXT NOT NULL DEFAULT '',
	remote_id         TEXT NOT NULL DEFAULT '',
	remote_url        TEXT NOT NULL DEFAULT '',
	published_at      BIGINT,
	updated_at        BIGINT NOT NULL,
	UNIQUE (post_id, social_profile_id)
);
CREATE INDEX post_targets_profile ON post_targets (social_profile_id);

CREATE TABLE idempotency_keys (
	user_id      TEXT COLLATE "C" NOT NULL,
	idem_key     TEXT COLLATE "C" NOT NULL,
	request_hash BYTEA NOT NULL,
	status       BIGINT NOT NULL DEFAULT 0,
	body         BYTEA,
	created_at   BIGINT NOT NULL,
	completed_at BIGINT,
	PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
