-- A post's media live in post_media alone, in order, with the alt text the
-- post gives each file. They were also kept as JSON in posts.media, which
-- went on naming files after they were deleted; the column goes. The same
-- change as the SQLite store's 0009_post_media.sql.
--
-- media_id becomes nullable: NULL only for an attachment saved before Herald
-- stored files, which names its source_url alone and is fetched when the
-- post next changes. The links are rebuilt from the JSON, in its order;
-- attachments that name a deleted file are dropped.

ALTER TABLE post_media
	ALTER COLUMN media_id DROP NOT NULL,
	-- source_url is the URL the user gave for the file.
	ADD COLUMN source_url TEXT NOT NULL DEFAULT '',
	-- alt_text is the post's description of the file: the library's alt
	-- text when the file was attached, kept if the library's changes.
	ADD COLUMN alt_text TEXT NOT NULL DEFAULT '';

DELETE FROM post_media;

INSERT INTO post_media (post_id, position, media_id, source_url, alt_text)
SELECT p.id,
	ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY e.idx) - 1,
	m.id,
	COALESCE(NULLIF(e.v ->> 'sourceUrl', ''), e.v ->> 'url', ''),
	COALESCE(e.v ->> 'altText', '')
FROM posts p
	CROSS JOIN LATERAL jsonb_array_elements(p.media::jsonb) WITH ORDINALITY AS e (v, idx)
	LEFT JOIN media m ON m.id = e.v ->> 'mediaId'
WHERE COALESCE(e.v ->> 'mediaId', '') = '' OR m.id IS NOT NULL;

ALTER TABLE posts DROP COLUMN media;
