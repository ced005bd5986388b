package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Queries implements store.Querier over a DB.
type Queries struct {
	r, w  DB // reads and writes; the same handle inside a transaction
	d     *Dialect
	cache *sync.Map // query text → rebound text
	// snapshot runs reads that take several statements in one read-only
	// transaction, so that they see one state of the database (a post and
	// its targets as one worker left them). Nil inside a transaction.
	snapshot func(ctx context.Context, fn func(DB) error) error
}

// New returns the queries for reads on r and writes on w; snapshot runs a
// function in a read-only transaction.
func New(r, w DB, d *Dialect, snapshot func(ctx context.Context, fn func(DB) error) error) *Queries {
	return &Queries{r: r, w: w, d: d, cache: new(sync.Map), snapshot: snapshot}
}

// WithTx returns the same queries running every statement on tx.
func (q *Queries) WithTx(tx DB) *Queries {
	return &Queries{r: tx, w: tx, d: q.d, cache: q.cache}
}

// consistent runs fn on queries that see one state of the database.
func (q *Queries) consistent(ctx context.Context, fn func(q *Queries) error) error {
	if q.snapshot == nil {
		return fn(q)
	}
	return q.snapshot(ctx, func(db DB) error { return fn(q.WithTx(db)) })
}

var _ store.Querier = (*Queries)(nil)

func (q *Queries) sql(s string) string {
	if !q.d.Numbered {
		return s
	}
	if v, ok := q.cache.Load(s); ok {
		return v.(string)
	}
	r := q.d.rebind(s)
	q.cache.Store(s, r)
	return r
}

func (q *Queries) exec(ctx context.Context, s string, args ...any) (int64, error) {
	n, err := q.w.Exec(ctx, q.sql(s), args...)
	return n, q.wrap(err)
}

func (q *Queries) query(ctx context.Context, s string, args ...any) (Rows, error) {
	rows, err := q.r.Query(ctx, q.sql(s), args...)
	return rows, q.wrap(err)
}

func (q *Queries) queryRow(ctx context.Context, s string, args ...any) Row {
	return q.r.QueryRow(ctx, q.sql(s), args...)
}

// wrap turns constraint violations into domain errors.
func (q *Queries) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case q.d.IsUniqueViolation != nil && q.d.IsUniqueViolation(err):
		return &herald.Error{Code: herald.ECONFLICT, Message: "Already exists.", Err: err}
	case q.d.IsForeignKeyViolation != nil && q.d.IsForeignKeyViolation(err):
		return &herald.Error{Code: herald.ENOTFOUND, Message: "A referenced record does not exist.", Err: err}
	}
	return err
}

func notFound(what string, err error) error {
	if errors.Is(err, ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "%s not found.", what)
	}
	return err
}

// execOne runs a write that must change a row; none is a not-found error
// naming what.
func (q *Queries) execOne(ctx context.Context, what, s string, args ...any) error {
	n, err := q.exec(ctx, s, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "%s not found.", what)
	}
	return nil
}

// collect runs a query and scans every row with scan.
func collect[T any](q *Queries, ctx context.Context, scan func(Row) (*T, error), s string, args ...any) ([]*T, error) {
	rows, err := q.query(ctx, s, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromMSPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := time.UnixMilli(*v).UTC()
	return &t
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("corrupt list column: %w", err)
	}
	if v == nil {
		v = []string{}
	}
	return v, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// ---- users

const userCols = `id, name, email, password_hash, created_at`

func scanUser(row Row) (*herald.User, error) {
	var u herald.User
	var created int64
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &created); err != nil {
		return nil, notFound("User", err)
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// CreateUser implements store.Querier.
func (q *Queries) CreateUser(ctx context.Context, u *herald.User) error {
	_, err := q.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Email, u.PasswordHash, ms(u.CreatedAt))
	return err
}

// FindUserByID implements store.Querier.
func (q *Queries) FindUserByID(ctx context.Context, id string) (*herald.User, error) {
	return scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// FindUserByEmail implements store.Querier.
func (q *Queries) FindUserByEmail(ctx context.Context, email string) (*herald.User, error) {
	return scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
}

// UpdateUserPassword implements store.Querier.
func (q *Queries) UpdateUserPassword(ctx context.Context, id, hash string) error {
	return q.execOne(ctx, "User", `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// CountUsers implements store.Querier.
func (q *Queries) CountUsers(ctx context.Context) (int, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return int(n), err
}

// ---- workspaces and members

// CreateWorkspace implements store.Querier.
func (q *Queries) CreateWorkspace(ctx context.Context, w *herald.Workspace) error {
	_, err := q.exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)`, w.ID, w.Name, ms(w.CreatedAt))
	return err
}

// FindWorkspaceByID implements store.Querier.
func (q *Queries) FindWorkspaceByID(ctx context.Context, id string) (*herald.Workspace, error) {
	var w herald.Workspace
	var created, count int64
	err := q.queryRow(ctx, `SELECT w.id, w.name, w.created_at, (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id)
		FROM workspaces w WHERE w.id = ?`, id).Scan(&w.ID, &w.Name, &created, &count)
	if err != nil {
		return nil, notFound("Workspace", err)
	}
	w.CreatedAt, w.UserCount = fromMS(created), int(count)
	return &w, nil
}

// FindWorkspacesByUser implements store.Querier.
func (q *Queries) FindWorkspacesByUser(ctx context.Context, userID string) ([]*herald.Workspace, error) {
	rows, err := q.query(ctx, `SELECT w.id, w.name, w.created_at, (SELECT COUNT(*) FROM workspace_members c WHERE c.workspace_id = w.id)
		FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
		WHERE m.user_id = ? ORDER BY w.created_at, w.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*herald.Workspace
	for rows.Next() {
		var w herald.Workspace
		var created, count int64
		if err := rows.Scan(&w.ID, &w.Name, &created, &count); err != nil {
			return nil, err
		}
		w.CreatedAt, w.UserCount = fromMS(created), int(count)
		out = append(out, &w)
	}
	return out, rows.Err()
}

// CreateMember implements store.Querier.
func (q *Queries) CreateMember(ctx context.Context, m *herald.Member) error {
	_, err := q.exec(ctx, `INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		m.WorkspaceID, m.UserID, string(m.Role), ms(m.CreatedAt))
	return err
}

// FindMember implements store.Querier.
func (q *Queries) FindMember(ctx context.Context, workspaceID, userID string) (*herald.Member, error) {
	var m herald.Member
	var role string
	var created int64
	err := q.queryRow(ctx, `SELECT workspace_id, user_id, role, created_at FROM workspace_members WHERE workspace_id = ? AND user_id = ?`,
		workspaceID, userID).Scan(&m.WorkspaceID, &m.UserID, &role, &created)
	if err != nil {
		return nil, notFound("Workspace", err)
	}
	m.Role, m.CreatedAt = herald.Role(role), fromMS(created)
	return &m, nil
}

// FindMembers implements store.Querier.
func (q *Queries) FindMembers(ctx context.Context, workspaceID string) ([]*herald.Member, error) {
	rows, err := q.query(ctx, `SELECT m.workspace_id, m.user_id, m.role, m.created_at, u.id, u.name, u.email, u.password_hash, u.created_at
		FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? ORDER BY m.created_at, u.id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*herald.Member
	for rows.Next() {
		var m herald.Member
		var u herald.User
		var role string
		var mc, uc int64
		if err := rows.Scan(&m.WorkspaceID, &m.UserID, &role, &mc, &u.ID, &u.Name, &u.Email, &u.PasswordHash, &uc); err != nil {
			return nil, err
		}
		m.Role, m.CreatedAt, u.CreatedAt = herald.Role(role), fromMS(mc), fromMS(uc)
		m.User = &u
		out = append(out, &m)
	}
	return out, rows.Err()
}

// UpdateMemberRole implements store.Querier.
func (q *Queries) UpdateMemberRole(ctx context.Context, workspaceID, userID string, role herald.Role) error {
	return q.execOne(ctx, "Member", `UPDATE workspace_members SET role = ? WHERE workspace_id = ? AND user_id = ?`, string(role), workspaceID, userID)
}

// DeleteMember implements store.Querier.
func (q *Queries) DeleteMember(ctx context.Context, workspaceID, userID string) error {
	return q.execOne(ctx, "Member", `DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
}

// ---- API keys

const apiKeyCols = `id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at`

func scanAPIKey(row Row) (*herald.APIKey, error) {
	var k herald.APIKey
	var created int64
	var used, revoked *int64
	if err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &created, &used, &revoked); err != nil {
		return nil, notFound("API key", err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMSPtr(used), fromMSPtr(revoked)
	return &k, nil
}

// CreateAPIKey implements store.Querier.
func (q *Queries) CreateAPIKey(ctx context.Context, k *herald.APIKey) error {
	_, err := q.exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Name, k.Prefix, k.Hash, ms(k.CreatedAt), msPtr(k.LastUsedAt), msPtr(k.RevokedAt))
	return err
}

// FindAPIKeyByHash implements store.Querier.
func (q *Queries) FindAPIKeyByHash(ctx context.Context, hash []byte) (*herald.APIKey, error) {
	return scanAPIKey(q.queryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ?`, hash))
}

// FindAPIKeysByUser implements store.Querier.
func (q *Queries) FindAPIKeysByUser(ctx context.Context, userID string) ([]*herald.APIKey, error) {
	rows, err := q.query(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*herald.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey implements store.Querier.
func (q *Queries) RevokeAPIKey(ctx context.Context, userID, id string, at time.Time) error {
	return q.execOne(ctx, "API key", `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?`, ms(at), id, userID)
}

// TouchAPIKey implements store.Querier.
func (q *Queries) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, ms(at), id)
	return err
}

// ---- sessions

// CreateSession implements store.Querier.
func (q *Queries) CreateSession(ctx context.Context, s *herald.Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (id, user_id, hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.Hash, s.CSRFToken, ms(s.CreatedAt), ms(s.ExpiresAt))
	return err
}

// FindSessionByHash implements store.Querier.
func (q *Queries) FindSessionByHash(ctx context.Context, hash []byte) (*herald.Session, error) {
	var s herald.Session
	var created, expires int64
	err := q.queryRow(ctx, `SELECT id, user_id, hash, csrf_token, created_at, expires_at FROM sessions WHERE hash = ?`, hash).
		Scan(&s.ID, &s.UserID, &s.Hash, &s.CSRFToken, &created, &expires)
	if err != nil {
		return nil, notFound("Session", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return &s, nil
}

// DeleteSession implements store.Querier.
func (q *Queries) DeleteSession(ctx context.Context, id string) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// DeleteExpiredSessions implements store.Querier.
func (q *Queries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now))
	return int(n), err
}

// DeleteSessionsByUser implements store.Querier.
func (q *Queries) DeleteSessionsByUser(ctx context.Context, userID, exceptID string) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, exceptID)
	return int(n), err
}

// ---- social profiles

const profileCols = `id, workspace_id, provider, name, image, external_id, credentials, status, status_message, rate_limited_until, created_at, updated_at`

func scanProfile(row Row) (*herald.SocialProfile, error) {
	var p herald.SocialProfile
	var created, updated int64
	var limited *int64
	if err := row.Scan(&p.ID, &p.WorkspaceID, &p.Provider, &p.Name, &p.Image, &p.ExternalID, &p.Credentials, &p.Status, &p.StatusMessage, &limited, &created, &updated); err != nil {
		return nil, notFound("Social profile", err)
	}
	p.CreatedAt, p.UpdatedAt, p.RateLimitedUntil = fromMS(created), fromMS(updated), fromMSPtr(limited)
	return &p, nil
}

// CreateSocialProfile implements store.Querier.
func (q *Queries) CreateSocialProfile(ctx context.Context, p *herald.SocialProfile) error {
	_, err := q.exec(ctx, `INSERT INTO social_profiles (`+profileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.WorkspaceID, p.Provider, p.Name, p.Image, p.ExternalID, p.Credentials, p.Status, p.StatusMessage, msPtr(p.RateLimitedUntil), ms(p.CreatedAt), ms(p.UpdatedAt))
	return err
}

// FindSocialProfileByID implements store.Querier.
func (q *Queries) FindSocialProfileByID(ctx context.Context, id string) (*herald.SocialProfile, error) {
	return scanProfile(q.queryRow(ctx, `SELECT `+profileCols+` FROM social_profiles WHERE id = ?`, id))
}

// FindSocialProfiles implements store.Querier.
func (q *Queries) FindSocialProfiles(ctx context.Context, workspaceID string) ([]*herald.SocialProfile, error) {
	rows, err := q.query(ctx, `SELECT `+profileCols+` FROM social_profiles WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*herald.SocialProfile
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateSocialProfile implements store.Querier.
func (q *Queries) UpdateSocialProfile(ctx context.Context, p *herald.SocialProfile) error {
	return q.execOne(ctx, "Social profile", `UPDATE social_profiles SET name = ?, image = ?, credentials = ?, status = ?, status_message = ?, rate_limited_until = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Image, p.Credentials, p.Status, p.StatusMessage, msPtr(p.RateLimitedUntil), ms(p.UpdatedAt), p.ID)
}

// DeleteSocialProfile implements store.Querier.
func (q *Queries) DeleteSocialProfile(ctx context.Context, id string) error {
	return q.execOne(ctx, "Social profile", `DELETE FROM social_profiles WHERE id = ?`, id)
}
