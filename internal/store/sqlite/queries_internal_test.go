package sqlite

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store/sqlstore"
)

// countingDB counts the statements run through it.
type countingDB struct {
	sqlstore.DB
	n *atomic.Int64
}

func (c countingDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	c.n.Add(1)
	return c.DB.Exec(ctx, q, args...)
}

func (c countingDB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	c.n.Add(1)
	return c.DB.Query(ctx, q, args...)
}

func (c countingDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	c.n.Add(1)
	return c.DB.QueryRow(ctx, q, args...)
}

// TestFindPostsQueriesPerPage: a page of posts is read with the same number
// of statements however many posts, targets and files it holds (no query
// per post for its media or targets).
func TestFindPostsQueriesPerPage(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	if _, err := s.Migrate(ctx, now); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	u := &herald.User{ID: herald.NewID(), Name: "Ada", Email: "ada@example.org", PasswordHash: "$argon2id$x", CreatedAt: now}
	must(s.CreateUser(ctx, u))
	w := &herald.Workspace{ID: herald.NewID(), Name: "Ada's", CreatedAt: now}
	must(s.CreateWorkspace(ctx, w))
	var profiles []*herald.SocialProfile
	for _, ext := range []string{"a", "b"} {
		p := &herald.SocialProfile{ID: herald.NewID(), WorkspaceID: w.ID, Provider: "mastodon", Name: ext, ExternalID: ext, Status: herald.ProfileConnected, CreatedAt: now, UpdatedAt: now}
		must(s.CreateSocialProfile(ctx, p))
		profiles = append(profiles, p)
	}
	for i := range 3 {
		m := &herald.Media{ID: herald.NewID(), WorkspaceID: w.ID, MediaInfo: herald.MediaInfo{SHA256: herald.NewID(), MIME: "image/png", Kind: "image", Size: 1}, CreatedAt: now, TouchedAt: now}
		must(s.CreateMedia(ctx, m))
		for range 10 {
			p := &herald.Post{ID: herald.NewID(), WorkspaceID: w.ID, CreatedBy: u.ID, PostType: herald.PostTypeRegular, Status: herald.StatusDraft,
				Media:     []herald.PostMedia{{MediaID: m.ID, SourceURL: "https://src/" + m.ID}, {MediaID: m.ID, SourceURL: "https://src/again"}},
				CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
			for _, pr := range profiles {
				p.Targets = append(p.Targets, &herald.PostTarget{ID: herald.NewID(), PostID: p.ID, SocialProfileID: pr.ID, Provider: pr.Provider, State: herald.TargetDraft, UpdatedAt: now})
			}
			must(s.CreatePost(ctx, p))
		}
	}

	var n atomic.Int64
	q := sqlstore.New(countingDB{dbAdapter{s.read}, &n}, countingDB{dbAdapter{s.write}, &n}, dialect, nil)
	statements := func(limit int) int64 {
		t.Helper()
		n.Store(0)
		posts, err := q.FindPosts(ctx, herald.PostFilter{WorkspaceID: w.ID, Limit: limit})
		must(err)
		if len(posts) != limit {
			t.Fatalf("FindPosts = %d posts, want %d", len(posts), limit)
		}
		for _, p := range posts {
			if len(p.Media) != 2 || len(p.Targets) != 2 {
				t.Fatalf("post %s has %d files and %d targets, want 2 and 2", p.ID, len(p.Media), len(p.Targets))
			}
		}
		return n.Load()
	}
	one, page := statements(1), statements(30)
	if one != page || page > 3 {
		t.Errorf("FindPosts ran %d statements for 1 post and %d for 30; want the same, at most 3 (posts, targets, media)", one, page)
	}
}
