-- Media: the files of each workspace's library, the derived copies made to
-- fit a network's rules, which post uses which file, and the blobs in the
-- media store (so that garbage collection can find blobs no row names).
-- The same tables as the SQLite store's 0003_media.sql, translated as in
-- 0001_core.sql (INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, identifiers
-- COLLATE "C").

CREATE TABLE media (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	-- A derived copy names its original and the network it was made for.
	parent_id    TEXT COLLATE "C" REFERENCES media (id) ON DELETE CASCADE,
	network      TEXT COLLATE "C" NOT NULL DEFAULT '',
	sha256       TEXT COLLATE "C" NOT NULL,
	mime         TEXT COLLATE "C" NOT NULL,
	kind         TEXT COLLATE "C" NOT NULL CHECK (kind IN ('image', 'video')),
	size         BIGINT NOT NULL,
	width        BIGINT NOT NULL DEFAULT 0,
	height       BIGINT NOT NULL DEFAULT 0,
	frames       BIGINT NOT NULL DEFAULT 0,
	duration_ms  BIGINT NOT NULL DEFAULT 0,
	fps          DOUBLE PRECISION NOT NULL DEFAULT 0,
	video_codec  TEXT NOT NULL DEFAULT '',
	audio_codec  TEXT NOT NULL DEFAULT '',
	orientation  BIGINT NOT NULL DEFAULT 0,
	rotation     BIGINT NOT NULL DEFAULT 0,
	source_url   TEXT NOT NULL DEFAULT '',
	file_name    TEXT NOT NULL DEFAULT '',
	alt_text     TEXT NOT NULL DEFAULT '',
	created_by   TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	touched_at   BIGINT NOT NULL,
	UNIQUE (parent_id, network)
);
-- The library, newest first (originals only).
CREATE INDEX media_workspace_created ON media (workspace_id, created_at DESC, id DESC) WHERE parent_id IS NULL;
-- Reuse of a file already in the workspace, and blob collection.
CREATE INDEX media_sha256 ON media (sha256, workspace_id);
-- Collection of unused files, oldest first.
CREATE INDEX media_touched ON media (touched_at) WHERE parent_id IS NULL;

-- post_media lists a post's attachments in order. A file in use cannot be
-- deleted (no cascade from media); deleting a post releases its files.
CREATE TABLE post_media (
	post_id  TEXT COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	position BIGINT NOT NULL,
	media_id TEXT COLLATE "C" NOT NULL REFERENCES media (id),
	PRIMARY KEY (post_id, position)
);
CREATE INDEX post_media_media ON post_media (media_id);

-- media_blobs records every blob put in the media store. touched_at is the
-- last time a file with these bytes was stored; a blob no media row names is
-- deleted only a grace time after it, so a file being stored right now is
-- never collected under its feet.
CREATE TABLE media_blobs (
	sha256     TEXT COLLATE "C" PRIMARY KEY,
	size       BIGINT NOT NULL,
	touched_at BIGINT NOT NULL
);
CREATE INDEX media_blobs_touched ON media_blobs (touched_at);
