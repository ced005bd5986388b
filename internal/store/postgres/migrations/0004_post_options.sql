-- Per-network options of a post group (Mastodon visibility, content
-- warning and language; Bluesky languages; Telegram parse mode), as JSON:
-- {"mastodon": {"visibility": "unlisted"}}.
ALTER TABLE posts ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
