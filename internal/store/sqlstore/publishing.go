package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// ClaimPostTarget implements store.Querier: it moves a scheduled target of
// the given post version to publishing under a lease, or reports that
// another worker, a change or a deletion got there first.
func (q *Queries) ClaimPostTarget(ctx context.Context, id string, version int, leaseUntil, now time.Time) (bool, error) {
	// The share lock on the post row makes the claim wait for, and then
	// see, a change of the post that holds the row (LockPost). The
	// subquery names the target's own post, so it reads one row by key.
	n, err := q.exec(ctx, `UPDATE post_targets SET state = 'publishing', attempts = attempts + 1, lease_until = ?, next_attempt_at = NULL, updated_at = ?
		WHERE id = ? AND state = 'scheduled' AND post_id IN (SELECT id FROM posts WHERE id = post_targets.post_id AND version = ?`+q.d.ForShare+`)`, ms(leaseUntil), ms(now), id, version)
	return n == 1, err
}

// RenewPostTargetLease implements store.Querier: it takes over an attempt
// whose lease has run out, or reports that another worker did.
func (q *Queries) RenewPostTargetLease(ctx context.Context, id string, oldLease *time.Time, leaseUntil, now time.Time) (bool, error) {
	var n int64
	var err error
	if oldLease == nil {
		n, err = q.exec(ctx, `UPDATE post_targets SET lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('publishing', 'processing') AND lease_until IS NULL`, ms(leaseUntil), ms(now), id)
	} else {
		n, err = q.exec(ctx, `UPDATE post_targets SET lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('publishing', 'processing') AND lease_until = ?`, ms(leaseUntil), ms(now), id, ms(*oldLease))
	}
	return n == 1, err
}

// LockPost implements store.Querier.
func (q *Queries) LockPost(ctx context.Context, id string) error {
	var got string
	err := q.w.QueryRow(ctx, q.sql(`SELECT id FROM posts WHERE id = ?`+q.d.ForUpdate), id).Scan(&got)
	return notFound("Post", err)
}

// CountPublishedSince implements store.Querier: publications since a time
// and attempts in flight, which may become publications.
func (q *Queries) CountPublishedSince(ctx context.Context, profileID string, since time.Time) (int, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM post_targets WHERE social_profile_id = ? AND (published_at >= ? OR state IN ('publishing', 'processing'))`, profileID, ms(since)).Scan(&n)
	return int(n), err
}

// LockSocialProfile implements store.Querier.
func (q *Queries) LockSocialProfile(ctx context.Context, id string) error {
	var got string
	err := q.w.QueryRow(ctx, q.sql(`SELECT id FROM social_profiles WHERE id = ?`+q.d.ForUpdate), id).Scan(&got)
	return notFound("Social profile", err)
}

// FindPostsPublishedTo implements store.Querier.
func (q *Queries) FindPostsPublishedTo(ctx context.Context, profileID string, limit int) ([]*herald.Post, error) {
	var posts []*herald.Post
	err := q.consistent(ctx, func(q *Queries) error {
		var err error
		posts, err = collect(q, ctx, scanPost, `SELECT `+prefixed("p.", postCols)+` FROM posts p JOIN post_targets t ON t.post_id = p.id
			WHERE t.social_profile_id = ? AND t.state = 'published' ORDER BY t.published_at DESC, p.id DESC LIMIT ?`, profileID, limit)
		if err != nil {
			return err
		}
		return q.attach(ctx, posts)
	})
	if err != nil {
		return nil, err
	}
	return posts, nil
}

// FindAllSocialProfiles implements store.Querier.
func (q *Queries) FindAllSocialProfiles(ctx context.Context) ([]*herald.SocialProfile, error) {
	return collect(q, ctx, scanProfile, `SELECT `+profileCols+` FROM social_profiles ORDER BY id`)
}

// HeartbeatWorkerNode implements store.Querier.
func (q *Queries) HeartbeatWorkerNode(ctx context.Context, id string, startedAt, now time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO worker_nodes (id, started_at, heartbeat_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, id, ms(startedAt), ms(now))
	return err
}

// DeleteWorkerNode implements store.Querier.
func (q *Queries) DeleteWorkerNode(ctx context.Context, id string) error {
	_, err := q.exec(ctx, `DELETE FROM worker_nodes WHERE id = ?`, id)
	return err
}

// CountLiveWorkerNodes implements store.Querier.
func (q *Queries) CountLiveWorkerNodes(ctx context.Context, since time.Time) (int, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM worker_nodes WHERE heartbeat_at >= ?`, ms(since)).Scan(&n)
	return int(n), err
}

// DeleteWorkerNodesBefore implements store.Querier.
func (q *Queries) DeleteWorkerNodesBefore(ctx context.Context, before time.Time) error {
	_, err := q.exec(ctx, `DELETE FROM worker_nodes WHERE heartbeat_at < ?`, ms(before))
	return err
}

// CreateOAuthApp implements store.Querier.
func (q *Queries) CreateOAuthApp(ctx context.Context, a *store.OAuthApp) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_apps (provider, server, redirect_uri, client_id, client_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Provider, a.Server, a.RedirectURI, a.ClientID, a.ClientSecret, ms(a.CreatedAt))
	return err
}

// FindOAuthApp implements store.Querier.
func (q *Queries) FindOAuthApp(ctx context.Context, provider, server, redirectURI string) (*store.OAuthApp, error) {
	var a store.OAuthApp
	var created int64
	err := q.queryRow(ctx, `SELECT provider, server, redirect_uri, client_id, client_secret, created_at FROM oauth_apps WHERE provider = ? AND server = ? AND redirect_uri = ?`,
		provider, server, redirectURI).Scan(&a.Provider, &a.Server, &a.RedirectURI, &a.ClientID, &a.ClientSecret, &created)
	if err != nil {
		return nil, notFound("OAuth app", err)
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// CreateOAuthState implements store.Querier.
func (q *Queries) CreateOAuthState(ctx context.Context, s *store.OAuthState) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_states (state_hash, session_id, user_id, workspace_id, provider, server, verifier, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.StateHash, s.SessionID, s.UserID, s.WorkspaceID, s.Provider, s.Server, s.Verifier, ms(s.ExpiresAt))
	return err
}

// TakeOAuthState implements store.Querier: it returns the state and deletes
// it, so that a state is used once.
func (q *Queries) TakeOAuthState(ctx context.Context, stateHash []byte) (*store.OAuthState, error) {
	var s store.OAuthState
	var expires int64
	err := q.w.QueryRow(ctx, q.sql(`DELETE FROM oauth_states WHERE state_hash = ? RETURNING state_hash, session_id, user_id, workspace_id, provider, server, verifier, expires_at`), stateHash).
		Scan(&s.StateHash, &s.SessionID, &s.UserID, &s.WorkspaceID, &s.Provider, &s.Server, &s.Verifier, &expires)
	if err != nil {
		return nil, notFound("OAuth state", err)
	}
	s.ExpiresAt = fromMS(expires)
	return &s, nil
}

// DeleteExpiredOAuthStates implements store.Querier.
func (q *Queries) DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM oauth_states WHERE expires_at <= ?`, ms(now))
	return int(n), err
}

// prefixed qualifies every column of a column list with a table alias.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// FindPostIDByTargetID implements store.Querier.
func (q *Queries) FindPostIDByTargetID(ctx context.Context, targetID string) (string, error) {
	var id string
	err := q.queryRow(ctx, `SELECT post_id FROM post_targets WHERE id = ?`, targetID).Scan(&id)
	return id, notFound("Post target", err)
}

// FindAllOAuthApps implements store.Querier.
func (q *Queries) FindAllOAuthApps(ctx context.Context) ([]*store.OAuthApp, error) {
	return collect(q, ctx, func(row Row) (*store.OAuthApp, error) {
		var a store.OAuthApp
		var created int64
		if err := row.Scan(&a.Provider, &a.Server, &a.RedirectURI, &a.ClientID, &a.ClientSecret, &created); err != nil {
			return nil, err
		}
		a.CreatedAt = fromMS(created)
		return &a, nil
	}, `SELECT provider, server, redirect_uri, client_id, client_secret, created_at FROM oauth_apps ORDER BY provider, server, redirect_uri`)
}

// UpdateOAuthAppSecret implements store.Querier.
func (q *Queries) UpdateOAuthAppSecret(ctx context.Context, a *store.OAuthApp) error {
	return q.execOne(ctx, "OAuth app", `UPDATE oauth_apps SET client_secret = ? WHERE provider = ? AND server = ? AND redirect_uri = ?`, a.ClientSecret, a.Provider, a.Server, a.RedirectURI)
}

// FindOverdueTargets implements store.Querier.
func (q *Queries) FindOverdueTargets(ctx context.Context, before time.Time, limit int) ([]store.OverdueTarget, error) {
	rows, err := q.query(ctx, `SELECT t.id, t.post_id, p.version, p.scheduled_at, t.job_id FROM posts p JOIN post_targets t ON t.post_id = p.id
		WHERE p.status = 'SCHEDULED' AND p.scheduled_at < ? AND t.state = 'scheduled' ORDER BY p.scheduled_at LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OverdueTarget
	for rows.Next() {
		var o store.OverdueTarget
		var version, at int64
		if err := rows.Scan(&o.TargetID, &o.PostID, &version, &at, &o.JobID); err != nil {
			return nil, err
		}
		o.Version, o.ScheduledAt = int(version), fromMS(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetPostTargetJob implements store.Querier.
func (q *Queries) SetPostTargetJob(ctx context.Context, targetID string, jobID int64) error {
	return q.execOne(ctx, "Post target", `UPDATE post_targets SET job_id = ? WHERE id = ?`, jobID, targetID)
}

// CountPendingTargets implements store.Querier.
func (q *Queries) CountPendingTargets(ctx context.Context, profileID string) (int, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM post_targets WHERE social_profile_id = ? AND state IN ('scheduled', 'publishing', 'processing')`, profileID).Scan(&n)
	return int(n), err
}
