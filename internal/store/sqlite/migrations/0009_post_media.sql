-- A post's media live in post_media alone, in order, with the alt text the
-- post gives each file. They were also kept as JSON in posts.media, which
-- went on naming files after they were deleted; the column goes.
--
-- media_id becomes nullable (SQLite rebuilds the table for that): NULL only
-- for an attachment saved before Herald stored files, which names its
-- source_url alone and is fetched when the post next changes. The links are
-- rebuilt from the JSON, in its order; attachments that name a deleted file
-- are dropped.

CREATE TABLE post_media_new (
	post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	media_id   TEXT REFERENCES media (id),
	-- source_url is the URL the user gave for the file.
	source_url TEXT NOT NULL DEFAULT '',
	-- alt_text is the post's description of the file: the library's alt
	-- text when the file was attached, kept if the library's changes.
	alt_text   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (post_id, position)
);

INSERT INTO post_media_new (post_id, position, media_id, source_url, alt_text)
SELECT p.id,
	ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY e.key) - 1,
	m.id,
	COALESCE(NULLIF(json_extract(e.value, '$.sourceUrl'), ''), json_extract(e.value, '$.url'), ''),
	COALESCE(json_extract(e.value, '$.altText'), '')
FROM posts p
	JOIN json_each(p.media) e
	LEFT JOIN media m ON m.id = json_extract(e.value, '$.mediaId')
WHERE COALESCE(json_extract(e.value, '$.mediaId'), '') = '' OR m.id IS NOT NULL;

DROP TABLE post_media;
ALTER TABLE post_media_new RENAME TO post_media;
CREATE INDEX post_media_media ON post_media (media_id);

ALTER TABLE posts DROP COLUMN media;
