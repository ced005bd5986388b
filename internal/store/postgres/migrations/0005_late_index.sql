-- Lets the engine find scheduled posts past their time (to requeue a
-- publication whose job was lost) without reading every post.
CREATE INDEX posts_status_scheduled ON posts (status, scheduled_at);
