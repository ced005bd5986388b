package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// ---- media

const mediaCols = `id, workspace_id, parent_id, network, sha256, mime, kind, size, width, height, frames, duration_ms, fps,
	video_codec, audio_codec, orientation, rotation, source_url, file_name, alt_text, created_by, created_at, touched_at`

func scanMedia(row Row) (*herald.Media, error) {
	var m herald.Media
	var parent *string
	var size, width, height, frames, durationMS, orientation, rotation, created, touched int64
	if err := row.Scan(&m.ID, &m.WorkspaceID, &parent, &m.Network, &m.SHA256, &m.MIME, &m.Kind, &size, &width, &height, &frames, &durationMS, &m.FPS,
		&m.VideoCodec, &m.AudioCodec, &orientation, &rotation, &m.SourceURL, &m.FileName, &m.AltText, &m.CreatedBy, &created, &touched); err != nil {
		return nil, notFound("Media", err)
	}
	if parent != nil {
		m.ParentID = *parent
	}
	m.Size, m.Width, m.Height, m.Frames = size, int(width), int(height), int(frames)
	m.Duration = time.Duration(durationMS) * time.Millisecond
	m.Orientation, m.Rotation = int(orientation), int(rotation)
	m.CreatedAt, m.TouchedAt = fromMS(created), fromMS(touched)
	return &m, nil
}

// CreateMedia implements store.Querier.
func (q *Queries) CreateMedia(ctx context.Context, m *herald.Media) error {
	var parent *string
	if m.ParentID != "" {
		parent = &m.ParentID
	}
	_, err := q.exec(ctx, `INSERT INTO media (`+mediaCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.WorkspaceID, parent, m.Network, m.SHA256, m.MIME, m.Kind, m.Size, m.Width, m.Height, m.Frames, m.Duration.Milliseconds(), m.FPS,
		m.VideoCodec, m.AudioCodec, m.Orientation, m.Rotation, m.SourceURL, m.FileName, m.AltText, m.CreatedBy, ms(m.CreatedAt), ms(m.TouchedAt))
	return err
}

// FindMediaByID implements store.Querier.
func (q *Queries) FindMediaByID(ctx context.Context, id string) (*herald.Media, error) {
	return scanMedia(q.queryRow(ctx, `SELECT `+mediaCols+` FROM media WHERE id = ?`, id))
}

// FindMediaBySHA256 implements store.Querier.
func (q *Queries) FindMediaBySHA256(ctx context.Context, workspaceID, sha256 string) (*herald.Media, error) {
	return scanMedia(q.queryRow(ctx, `SELECT `+mediaCols+` FROM media WHERE sha256 = ? AND workspace_id = ? AND parent_id IS NULL
		ORDER BY created_at, id LIMIT 1`, sha256, workspaceID))
}

// FindMedia implements store.Querier.
func (q *Queries) FindMedia(ctx context.Context, f herald.MediaFilter) ([]*herald.Media, error) {
	if f.Limit <= 0 {
		return nil, herald.Errorf(herald.EINVALID, "limit: must be positive")
	}
	return collect(q, ctx, scanMedia, `SELECT `+mediaCols+` FROM media WHERE workspace_id = ? AND parent_id IS NULL
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, f.WorkspaceID, f.Limit, f.Offset)
}

// FindMediaDerivative implements store.Querier.
func (q *Queries) FindMediaDerivative(ctx context.Context, parentID, network string) (*herald.Media, error) {
	return scanMedia(q.queryRow(ctx, `SELECT `+mediaCols+` FROM media WHERE parent_id = ? AND network = ?`, parentID, network))
}

// UpdateMediaAltText implements store.Querier.
func (q *Queries) UpdateMediaAltText(ctx context.Context, id, altText string) error {
	return q.execOne(ctx, "Media", `UPDATE media SET alt_text = ? WHERE id = ?`, altText, id)
}

// TouchMedia implements store.Querier.
func (q *Queries) TouchMedia(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, ms(at))
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := q.exec(ctx, `UPDATE media SET touched_at = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...)
	return err
}

// DeleteMedia implements store.Querier.
func (q *Queries) DeleteMedia(ctx context.Context, id string) error {
	if _, err := q.exec(ctx, `DELETE FROM post_media WHERE media_id = ?`, id); err != nil {
		return err
	}
	n, err := q.w.Exec(ctx, q.sql(`DELETE FROM media WHERE id = ?`), id)
	switch {
	case err != nil && q.d.IsForeignKeyViolation != nil && q.d.IsForeignKeyViolation(err):
		// A post started using the file after its links were removed (the
		// caller did not lock it with LockMedia): it exists and is in use.
		return &herald.Error{Code: herald.ECONFLICT, Message: "The media file is used by a post and cannot be deleted.", Err: err}
	case err != nil:
		return q.wrap(err)
	case n == 0:
		return herald.Errorf(herald.ENOTFOUND, "Media not found.")
	}
	return nil
}

// LockMedia implements store.Querier.
func (q *Queries) LockMedia(ctx context.Context, id string) error {
	var got string
	err := q.w.QueryRow(ctx, q.sql(`SELECT id FROM media WHERE id = ?`+q.d.ForUpdate), id).Scan(&got)
	return notFound("Media", err)
}

// WorkspaceMediaBytes implements store.Querier.
func (q *Queries) WorkspaceMediaBytes(ctx context.Context, workspaceID string) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media WHERE workspace_id = ?`, workspaceID).Scan(&n)
	return n, err
}

// SetPostMedia implements store.Querier.
func (q *Queries) SetPostMedia(ctx context.Context, postID string, media []herald.PostMedia, at time.Time) error {
	rows, err := q.query(ctx, `SELECT media_id FROM post_media WHERE post_id = ? AND media_id IS NOT NULL`, postID)
	if err != nil {
		return err
	}
	var touched []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		touched = append(touched, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM post_media WHERE post_id = ?`, postID); err != nil {
		return err
	}
	added, err := q.insertPostMedia(ctx, postID, media)
	if err != nil {
		return err
	}
	return q.TouchMedia(ctx, dedupe(append(touched, added...)), at)
}

// insertPostMedia links a post to its media, in order, and returns the ids
// of the stored files it names. A file that does not exist (any more) is
// store.ErrNoSuchMedia.
func (q *Queries) insertPostMedia(ctx context.Context, postID string, media []herald.PostMedia) ([]string, error) {
	ids := make([]string, 0, len(media))
	for i, m := range media {
		var id *string
		if m.MediaID != "" {
			id = &m.MediaID
			ids = append(ids, m.MediaID)
		}
		_, err := q.w.Exec(ctx, q.sql(`INSERT INTO post_media (post_id, position, media_id, source_url, alt_text) VALUES (?, ?, ?, ?, ?)`),
			postID, i, id, m.SourceURL, m.AltText)
		if err != nil && id != nil && q.d.IsForeignKeyViolation != nil && q.d.IsForeignKeyViolation(err) {
			// The post exists (the caller wrote or locked it): the file
			// is what is missing.
			return nil, &herald.Error{Code: herald.ENOTFOUND, Message: "Media not found.", Err: fmt.Errorf("%w: %s: %w", store.ErrNoSuchMedia, m.MediaID, err)}
		}
		if err != nil {
			return nil, q.wrap(err)
		}
	}
	return dedupe(ids), nil
}

// attachMedia loads the media of posts in one query, in order.
func (q *Queries) attachMedia(ctx context.Context, posts []*herald.Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[string]*herald.Post, len(posts))
	args := make([]any, len(posts))
	for i, p := range posts {
		byID[p.ID] = p
		args[i] = p.ID
		p.Media = []herald.PostMedia{}
	}
	rows, err := q.query(ctx, `SELECT pm.post_id, COALESCE(pm.media_id, ''), pm.source_url, pm.alt_text, COALESCE(m.kind, ''), COALESCE(m.mime, '')
		FROM post_media pm LEFT JOIN media m ON m.id = pm.media_id
		WHERE pm.post_id IN (`+placeholders(len(posts))+`) ORDER BY pm.post_id, pm.position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var postID string
		var m herald.PostMedia
		if err := rows.Scan(&postID, &m.MediaID, &m.SourceURL, &m.AltText, &m.Kind, &m.MIME); err != nil {
			return err
		}
		if p := byID[postID]; p != nil {
			p.Media = append(p.Media, m)
		}
	}
	return rows.Err()
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// FindMediaUses implements store.Querier.
func (q *Queries) FindMediaUses(ctx context.Context, mediaID string) ([]store.MediaUse, error) {
	rows, err := q.query(ctx, `SELECT DISTINCT p.id, p.status FROM post_media pm JOIN posts p ON p.id = pm.post_id WHERE pm.media_id = ? ORDER BY p.id`, mediaID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.MediaUse
	for rows.Next() {
		var u store.MediaUse
		var status string
		if err := rows.Scan(&u.PostID, &status); err != nil {
			return nil, err
		}
		u.Status = herald.PostStatus(status)
		out = append(out, u)
	}
	return out, rows.Err()
}

// FindUnusedMedia implements store.Querier.
func (q *Queries) FindUnusedMedia(ctx context.Context, before time.Time, limit int) ([]*herald.Media, error) {
	return collect(q, ctx, scanMedia, `SELECT `+mediaCols+` FROM media m WHERE m.parent_id IS NULL AND m.touched_at < ?
		AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = m.id) ORDER BY m.touched_at, m.id LIMIT ?`, ms(before), limit)
}

// DeleteMediaIfUnused implements store.Querier.
func (q *Queries) DeleteMediaIfUnused(ctx context.Context, id string, before time.Time) (bool, error) {
	n, err := q.exec(ctx, `DELETE FROM media WHERE id = ? AND parent_id IS NULL AND touched_at < ?
		AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = ?)`, id, ms(before), id)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		// A post started using the file while the statement ran (the
		// foreign key of post_media caught it): it is not unused.
		return false, nil
	}
	return n == 1, err
}

// TouchMediaBlob implements store.Querier.
func (q *Queries) TouchMediaBlob(ctx context.Context, sha256 string, size int64, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO media_blobs (sha256, size, touched_at) VALUES (?, ?, ?)
		ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at, size = excluded.size`, sha256, size, ms(at))
	return err
}

// FindOrphanMediaBlobs implements store.Querier.
func (q *Queries) FindOrphanMediaBlobs(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := q.query(ctx, `SELECT b.sha256 FROM media_blobs b WHERE b.touched_at < ?
		AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = b.sha256) ORDER BY b.touched_at, b.sha256 LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteMediaBlobIfOrphan implements store.Querier.
func (q *Queries) DeleteMediaBlobIfOrphan(ctx context.Context, sha256 string, before time.Time) (bool, error) {
	n, err := q.exec(ctx, `DELETE FROM media_blobs WHERE sha256 = ? AND touched_at < ?
		AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = ?)`, sha256, ms(before), sha256)
	return n == 1, err
}
