package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/publish"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// Seed describes posts to insert in bulk, straight into the store's tables
// (after the store's own migrations), in the rows the store itself writes:
// each post has one target on one profile, and scheduled targets can have
// their publish job queued as publish.Engine.Schedule queues it.
type Seed struct {
	WorkspaceID string
	UserID      string
	// ProfileID and Provider name the profile every post targets.
	ProfileID string
	Provider  string
	// Posts is how many posts to insert.
	Posts int
	// Status returns post i's status; nil makes every post a draft.
	// SCHEDULED posts get a scheduled target, POSTED a published one,
	// ERROR a failed one, and the others a draft target.
	Status func(i int) herald.PostStatus
	// ScheduledAt returns the time of scheduled post i; nil spreads them
	// one second apart from a day ahead.
	ScheduledAt func(i int) time.Time
	// Start is when post 0 was created; post i was created i milliseconds
	// later (the list order is by creation, newest first).
	Start time.Time
	// Jobs queues a publish job in River's river_job table for each
	// scheduled target, through River's own insert path with the engine's
	// job arguments and options, and records its id on the target.
	Jobs bool
	// Batch is how many posts go in one transaction (default 20,000).
	Batch int
}

type postRow struct {
	id, status, caption string
	scheduledAt         *int64
	createdAt           int64
}

type targetRow struct {
	id, postID, state   string
	remoteID, remoteURL string
	errCode, errMsg     string
	publishedAt         *int64
	updatedAt           int64
	scheduledAt         time.Time
	scheduled           bool
	jobID               *int64
}

// rows returns the rows of posts [from, to).
func (s *Seed) rows(from, to int) ([]postRow, []targetRow) {
	posts := make([]postRow, 0, to-from)
	targets := make([]targetRow, 0, to-from)
	for i := from; i < to; i++ {
		st := herald.StatusDraft
		if s.Status != nil {
			st = s.Status(i)
		}
		created := s.Start.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		p := postRow{id: herald.NewID(), status: string(st), createdAt: created,
			caption: fmt.Sprintf("Benchmark post %d: an ordinary caption with a link https://example.com/p/%d and two #hashtags #herald", i, i)}
		t := targetRow{id: herald.NewID(), postID: p.id, state: string(herald.TargetDraft), updatedAt: created}
		switch st {
		case herald.StatusScheduled:
			at := s.Start.Add(24*time.Hour + time.Duration(i)*time.Second)
			if s.ScheduledAt != nil {
				at = s.ScheduledAt(i)
			}
			ms := at.UnixMilli()
			p.scheduledAt = &ms
			t.state, t.scheduled, t.scheduledAt = string(herald.TargetScheduled), true, at
		case herald.StatusPosted:
			ms := created + 1000
			p.scheduledAt, t.publishedAt = &ms, &ms
			t.state, t.remoteID, t.remoteURL = string(herald.TargetPublished), fmt.Sprint(1e15+i), fmt.Sprintf("https://example.com/m/%d", i)
		case herald.StatusError:
			ms := created + 1000
			p.scheduledAt = &ms
			t.state, t.errCode, t.errMsg = string(herald.TargetFailed), "rejected", "The network refused the post: Invalid Form Body."
		}
		posts = append(posts, p)
		targets = append(targets, t)
	}
	return posts, targets
}

// jobParams returns the publish jobs of the scheduled targets, exactly as
// publish.Engine.Schedule builds them, and the targets they are for.
func jobParams(targets []targetRow) ([]river.InsertManyParams, []*targetRow) {
	var params []river.InsertManyParams
	var for_ []*targetRow
	for i := range targets {
		t := &targets[i]
		if !t.scheduled {
			continue
		}
		params = append(params, river.InsertManyParams{
			Args:       publish.PublishArgs{TargetID: t.id, PostID: t.postID, Version: 0},
			InsertOpts: &river.InsertOpts{ScheduledAt: t.scheduledAt},
		})
		for_ = append(for_, t)
	}
	return params, for_
}

func (s *Seed) defaults() {
	if s.Batch <= 0 {
		s.Batch = 20_000
	}
	if s.Start.IsZero() {
		s.Start = time.Now().Add(-time.Duration(s.Posts) * time.Millisecond)
	}
}

// SeedSQLite inserts the posts into the SQLite database at path, which must
// not be in use by a server (SQLite has one writer).
func SeedSQLite(ctx context.Context, path string, s Seed) error {
	s.defaults()
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx, time.Now()); err != nil {
		return err
	}
	db := st.DB()
	var client *river.Client[*sql.Tx]
	if s.Jobs {
		driver := riversqlite.New(db)
		if err := publish.Migrate(ctx, driver, discardLogger()); err != nil {
			return err
		}
		if client, err = river.NewClient(driver, &river.Config{Logger: discardLogger()}); err != nil {
			return err
		}
	}
	for from := 0; from < s.Posts; from += s.Batch {
		posts, targets := s.rows(from, min(from+s.Batch, s.Posts))
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := sqliteInsert(ctx, tx, &s, posts, targets, client); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = db.ExecContext(ctx, "ANALYZE") // as SQLite's optimize would, for the planner
	return err
}

func sqliteInsert(ctx context.Context, tx *sql.Tx, s *Seed, posts []postRow, targets []targetRow, client *river.Client[*sql.Tx]) error {
	if client != nil {
		params, jobTargets := jobParams(targets)
		for i := 0; i < len(params); i += 1000 {
			res, err := client.InsertManyTx(ctx, tx, params[i:min(i+1000, len(params))])
			if err != nil {
				return fmt.Errorf("queue jobs: %w", err)
			}
			for j, r := range res {
				id := r.Job.ID
				jobTargets[i+j].jobID = &id
			}
		}
	}
	const per = 500 // rows per statement, well under SQLite's 32,766 parameters
	for i := 0; i < len(posts); i += per {
		chunk := posts[i:min(i+per, len(posts))]
		args := make([]any, 0, len(chunk)*10)
		for _, p := range chunk {
			args = append(args, p.id, s.WorkspaceID, s.UserID, herald.PostTypeRegular, p.status, p.caption, p.scheduledAt, 0, p.createdAt, p.createdAt)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO posts (id, workspace_id, created_by, post_type, status, caption, scheduled_at, version, created_at, updated_at) VALUES `+
			values(len(chunk), 10), args...); err != nil {
			return fmt.Errorf("insert posts: %w", err)
		}
	}
	for i := 0; i < len(targets); i += per {
		chunk := targets[i:min(i+per, len(targets))]
		args := make([]any, 0, len(chunk)*13)
		for _, t := range chunk {
			args = append(args, t.id, t.postID, s.ProfileID, s.Provider, t.state, t.errCode, t.errMsg, t.remoteID, t.remoteURL, t.publishedAt, t.updatedAt, t.jobID, 0)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_targets (id, post_id, social_profile_id, provider, state, error_code, error_message, remote_id, remote_url, published_at, updated_at, job_id, attempts) VALUES `+
			values(len(chunk), 13), args...); err != nil {
			return fmt.Errorf("insert targets: %w", err)
		}
	}
	return nil
}

// values returns n groups of k "?" placeholders.
func values(n, k int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
}

// SeedPostgres inserts the posts into the PostgreSQL database at url (with
// COPY), which may be in use by a server.
func SeedPostgres(ctx context.Context, url string, s Seed) error {
	s.defaults()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx, time.Now()); err != nil {
		return err
	}
	pool := st.Pool()
	var client *river.Client[pgx.Tx]
	if s.Jobs {
		driver := riverpgxv5.New(pool)
		if err := publish.Migrate(ctx, driver, discardLogger()); err != nil {
			return err
		}
		if client, err = river.NewClient(driver, &river.Config{Logger: discardLogger()}); err != nil {
			return err
		}
	}
	for from := 0; from < s.Posts; from += s.Batch {
		posts, targets := s.rows(from, min(from+s.Batch, s.Posts))
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			return pgInsert(ctx, tx, &s, posts, targets, client)
		})
		if err != nil {
			return err
		}
	}
	// VACUUM as autovacuum soon would after a million inserts, so that the
	// figures are of the steady state and no vacuum runs during them.
	tables := []string{"posts", "post_targets"}
	if s.Jobs {
		tables = append(tables, "river_job")
	}
	for _, t := range tables {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return err
		}
	}
	return nil
}

func pgInsert(ctx context.Context, tx pgx.Tx, s *Seed, posts []postRow, targets []targetRow, client *river.Client[pgx.Tx]) error {
	if client != nil {
		params, jobTargets := jobParams(targets)
		for i := 0; i < len(params); i += 5000 {
			res, err := client.InsertManyTx(ctx, tx, params[i:min(i+5000, len(params))])
			if err != nil {
				return fmt.Errorf("queue jobs: %w", err)
			}
			for j, r := range res {
				id := r.Job.ID
				jobTargets[i+j].jobID = &id
			}
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"posts"},
		[]string{"id", "workspace_id", "created_by", "post_type", "status", "caption", "scheduled_at", "version", "created_at", "updated_at"},
		pgx.CopyFromSlice(len(posts), func(i int) ([]any, error) {
			p := posts[i]
			return []any{p.id, s.WorkspaceID, s.UserID, herald.PostTypeRegular, p.status, p.caption, p.scheduledAt, int64(0), p.createdAt, p.createdAt}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy posts: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"post_targets"},
		[]string{"id", "post_id", "social_profile_id", "provider", "state", "error_code", "error_message", "remote_id", "remote_url", "published_at", "updated_at", "job_id", "attempts"},
		pgx.CopyFromSlice(len(targets), func(i int) ([]any, error) {
			t := targets[i]
			return []any{t.id, t.postID, s.ProfileID, s.Provider, t.state, t.errCode, t.errMsg, t.remoteID, t.remoteURL, t.publishedAt, t.updatedAt, t.jobID, int64(0)}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy targets: %w", err)
	}
	return nil
}
