package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

func encodeOptions(o herald.PostOptions) string {
	if o == nil {
		return "{}"
	}
	b, _ := json.Marshal(o)
	return string(b)
}

const postCols = `id, workspace_id, created_by, post_type, status, caption, options, scheduled_at, version, created_at, updated_at`

func scanPost(row Row) (*herald.Post, error) {
	var p herald.Post
	var status, options string
	var scheduled *int64
	var version, created, updated int64
	if err := row.Scan(&p.ID, &p.WorkspaceID, &p.CreatedBy, &p.PostType, &status, &p.Caption, &options, &scheduled, &version, &created, &updated); err != nil {
		return nil, notFound("Post", err)
	}
	if err := json.Unmarshal([]byte(options), &p.Options); err != nil {
		return nil, fmt.Errorf("corrupt options column: %w", err)
	}
	p.Status = herald.PostStatus(status)
	p.ScheduledAt = fromMSPtr(scheduled)
	p.Version = int(version)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

const targetCols = `t.id, t.post_id, t.social_profile_id, t.provider, t.state, t.attempts, t.error_code, t.error_message, t.remote_id, t.remote_url, t.published_at, t.updated_at, t.job_id, t.lease_until, t.next_attempt_at, p.name, p.image, p.status`

func scanTarget(row Row) (*herald.PostTarget, error) {
	var t herald.PostTarget
	var prof herald.SocialProfile
	var state string
	var attempts, updated int64
	var published, lease, next *int64
	if err := row.Scan(&t.ID, &t.PostID, &t.SocialProfileID, &t.Provider, &state, &attempts, &t.ErrorCode, &t.ErrorMessage,
		&t.RemoteID, &t.RemoteURL, &published, &updated, &t.JobID, &lease, &next, &prof.Name, &prof.Image, &prof.Status); err != nil {
		return nil, notFound("Post target", err)
	}
	t.LeaseUntil, t.NextAttemptAt = fromMSPtr(lease), fromMSPtr(next)
	t.State = herald.TargetState(state)
	t.Attempts = int(attempts)
	t.PublishedAt = fromMSPtr(published)
	t.UpdatedAt = fromMS(updated)
	prof.ID, prof.Provider = t.SocialProfileID, t.Provider
	t.Profile = &prof
	return &t, nil
}

// CreatePost implements store.Querier.
func (q *Queries) CreatePost(ctx context.Context, p *herald.Post) error {
	if _, err := q.exec(ctx, `INSERT INTO posts (`+postCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.WorkspaceID, p.CreatedBy, p.PostType, string(p.Status), p.Caption, encodeOptions(p.Options), msPtr(p.ScheduledAt),
		p.Version, ms(p.CreatedAt), ms(p.UpdatedAt)); err != nil {
		return err
	}
	for _, t := range p.Targets {
		if err := q.CreatePostTarget(ctx, t); err != nil {
			return err
		}
	}
	ids, err := q.insertPostMedia(ctx, p.ID, p.Media)
	if err != nil {
		return err
	}
	return q.TouchMedia(ctx, ids, p.CreatedAt)
}

// CreatePostTarget implements store.Querier.
func (q *Queries) CreatePostTarget(ctx context.Context, t *herald.PostTarget) error {
	_, err := q.exec(ctx, `INSERT INTO post_targets (id, post_id, social_profile_id, provider, state, attempts, error_code, error_message, remote_id, remote_url, published_at, updated_at, job_id, lease_until, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.PostID, t.SocialProfileID, t.Provider, string(t.State), t.Attempts, t.ErrorCode, t.ErrorMessage, t.RemoteID, t.RemoteURL,
		msPtr(t.PublishedAt), ms(t.UpdatedAt), t.JobID, msPtr(t.LeaseUntil), msPtr(t.NextAttemptAt))
	return err
}

// UpdatePostTarget implements store.Querier.
func (q *Queries) UpdatePostTarget(ctx context.Context, t *herald.PostTarget) error {
	return q.execOne(ctx, "Post target", `UPDATE post_targets SET state = ?, attempts = ?, error_code = ?, error_message = ?, remote_id = ?, remote_url = ?, published_at = ?, updated_at = ?, job_id = ?, lease_until = ?, next_attempt_at = ? WHERE id = ?`,
		string(t.State), t.Attempts, t.ErrorCode, t.ErrorMessage, t.RemoteID, t.RemoteURL, msPtr(t.PublishedAt), ms(t.UpdatedAt), t.JobID, msPtr(t.LeaseUntil), msPtr(t.NextAttemptAt), t.ID)
}

// DeletePostTarget implements store.Querier.
func (q *Queries) DeletePostTarget(ctx context.Context, id string) error {
	return q.execOne(ctx, "Post target", `DELETE FROM post_targets WHERE id = ?`, id)
}

// FindPostByID implements store.Querier.
func (q *Queries) FindPostByID(ctx context.Context, id string) (p *herald.Post, err error) {
	err = q.consistent(ctx, func(q *Queries) error {
		if p, err = scanPost(q.queryRow(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`, id)); err != nil {
			return err
		}
		return q.attach(ctx, []*herald.Post{p})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FindPosts implements store.Querier. Posts come newest first. With several
// statuses, each status is read through its own index range and the ranges
// are merged, so that the cost stays that of one page, not of every post
// with those statuses.
func (q *Queries) FindPosts(ctx context.Context, f herald.PostFilter) ([]*herald.Post, error) {
	if f.Limit <= 0 {
		return nil, herald.Errorf(herald.EINVALID, "limit: must be positive")
	}
	// Each branch filters on the workspace (and status) and, for late
	// posts, on the time; the time condition is checked row by row in the
	// index range, which stays that of one status.
	var late string
	var lateArgs []any
	if f.ScheduledBefore != nil {
		late = ` AND scheduled_at < ?`
		lateArgs = []any{ms(*f.ScheduledBefore)}
	}
	var s string
	var args []any
	switch len(f.Statuses) {
	case 0:
		s = `SELECT ` + postCols + ` FROM posts WHERE workspace_id = ?` + late + ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
		args = append(append([]any{f.WorkspaceID}, lateArgs...), f.Limit, f.Offset)
	case 1:
		s = `SELECT ` + postCols + ` FROM posts WHERE workspace_id = ? AND status = ?` + late + ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
		args = append(append([]any{f.WorkspaceID, string(f.Statuses[0])}, lateArgs...), f.Limit, f.Offset)
	default:
		parts := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			parts[i] = `SELECT * FROM (SELECT ` + postCols + ` FROM posts WHERE workspace_id = ? AND status = ?` + late + ` ORDER BY created_at DESC, id DESC LIMIT ?) s` + fmt.Sprint(i)
			args = append(append(append(args, f.WorkspaceID, string(st)), lateArgs...), f.Offset+f.Limit)
		}
		s = `SELECT ` + postCols + ` FROM (` + strings.Join(parts, " UNION ALL ") + `) u ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	var posts []*herald.Post
	err := q.consistent(ctx, func(q *Queries) error {
		var err error
		if posts, err = collect(q, ctx, scanPost, s, args...); err != nil {
			return err
		}
		return q.attach(ctx, posts)
	})
	if err != nil {
		return nil, err
	}
	return posts, nil
}

// attach loads the targets and the media of posts: one query each, however
// many posts there are.
func (q *Queries) attach(ctx context.Context, posts []*herald.Post) error {
	if err := q.attachTargets(ctx, posts); err != nil {
		return err
	}
	return q.attachMedia(ctx, posts)
}

// attachTargets loads the targets of posts in one query.
func (q *Queries) attachTargets(ctx context.Context, posts []*herald.Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[string]*herald.Post, len(posts))
	args := make([]any, len(posts))
	for i, p := range posts {
		byID[p.ID] = p
		args[i] = p.ID
		p.Targets = []*herald.PostTarget{}
	}
	targets, err := collect(q, ctx, scanTarget, `SELECT `+targetCols+` FROM post_targets t JOIN social_profiles p ON p.id = t.social_profile_id
		WHERE t.post_id IN (`+placeholders(len(posts))+`) ORDER BY t.post_id, t.id`, args...)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if p := byID[t.PostID]; p != nil {
			p.Targets = append(p.Targets, t)
		}
	}
	return nil
}

// UpdatePost implements store.Querier.
func (q *Queries) UpdatePost(ctx context.Context, p *herald.Post) error {
	return q.execOne(ctx, "Post", `UPDATE posts SET status = ?, caption = ?, options = ?, scheduled_at = ?, version = ?, updated_at = ? WHERE id = ?`,
		string(p.Status), p.Caption, encodeOptions(p.Options), msPtr(p.ScheduledAt), p.Version, ms(p.UpdatedAt), p.ID)
}

// DeletePost implements store.Querier.
func (q *Queries) DeletePost(ctx context.Context, id string) error {
	return q.execOne(ctx, "Post", `DELETE FROM posts WHERE id = ?`, id)
}

// ---- idempotency keys

// ClaimIdempotencyKey implements store.Querier.
func (q *Queries) ClaimIdempotencyKey(ctx context.Context, r *store.IdempotencyRecord) (*store.IdempotencyRecord, error) {
	n, err := q.exec(ctx, `INSERT INTO idempotency_keys (user_id, idem_key, api_key_id, request_hash, status, body, secret_ref, created_at, completed_at)
		VALUES (?, ?, ?, ?, 0, NULL, '', ?, NULL) ON CONFLICT (user_id, idem_key) DO NOTHING`, r.UserID, r.Key, r.APIKeyID, r.RequestHash, ms(r.CreatedAt))
	if err != nil {
		return nil, err
	}
	if n == 1 {
		return r, nil
	}
	var ex store.IdempotencyRecord
	var status, created int64
	var completed *int64
	err = q.queryRow(ctx, `SELECT user_id, idem_key, api_key_id, request_hash, status, body, secret_ref, created_at, completed_at FROM idempotency_keys WHERE user_id = ? AND idem_key = ?`,
		r.UserID, r.Key).Scan(&ex.UserID, &ex.Key, &ex.APIKeyID, &ex.RequestHash, &status, &ex.Body, &ex.SecretRef, &created, &completed)
	if err != nil {
		return nil, notFound("Idempotency key", err)
	}
	ex.Status, ex.CreatedAt, ex.CompletedAt = int(status), fromMS(created), fromMSPtr(completed)
	return &ex, herald.Errorf(herald.ECONFLICT, "Idempotency key already used.")
}

// CompleteIdempotencyKey implements store.Querier.
func (q *Queries) CompleteIdempotencyKey(ctx context.Context, r *store.IdempotencyRecord) error {
	return q.execOne(ctx, "Idempotency key", `UPDATE idempotency_keys SET status = ?, body = ?, secret_ref = ?, completed_at = ? WHERE user_id = ? AND idem_key = ?`,
		r.Status, r.Body, r.SecretRef, msPtr(r.CompletedAt), r.UserID, r.Key)
}

// DeleteIdempotencyKey implements store.Querier.
func (q *Queries) DeleteIdempotencyKey(ctx context.Context, userID, key string) error {
	_, err := q.exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ?`, userID, key)
	return err
}

// DeleteIdempotencyKeysBefore implements store.Querier.
func (q *Queries) DeleteIdempotencyKeysBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, ms(before))
	return int(n), err
}
