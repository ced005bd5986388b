package publish_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/publish"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// The periodic housekeeping job purges expired sessions, OAuth states and
// idempotency keys at start and then every interval, and leaves live rows.
func TestHousekeepingPurgesExpiredRows(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
		must(t, err)
		testHousekeeping(t, s, func() riverdriver.Driver[*sql.Tx] { return riversqlite.New(s.DB()) }, sqlite.DriverTx)
	})
	if os.Getenv(pgtest.EnvVar) == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := postgres.Open(context.Background(), pgtest.URL(t))
		must(t, err)
		testHousekeeping(t, s, func() riverdriver.Driver[pgx.Tx] { return riverpgxv5.New(s.Pool()) }, postgres.DriverTx)
	})
}

func testHousekeeping[TTx any](t *testing.T, s store.Store, driver func() riverdriver.Driver[TTx], txOf func(store.Tx) (TTx, bool)) {
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	_, err := s.(interface {
		Migrate(context.Context, time.Time) ([]string, error)
	}).Migrate(ctx, time.Now())
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := func() time.Time { return time.Now().UTC() }
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://herald.test"}, Now: now, Log: log})
	res, err := a.Init(ctx, app.InitParams{Email: "owner@example.org"})
	must(t, err)
	u, _, err := a.AuthenticateAPIKey(ctx, res.APIKey)
	must(t, err)

	start := now().Truncate(time.Millisecond)
	session := func(name string, expires time.Time) {
		must(t, s.CreateSession(ctx, &herald.Session{ID: herald.NewID(), UserID: u.ID, Hash: []byte(name), CSRFToken: name, CreatedAt: start, ExpiresAt: expires}))
	}
	state := func(name string, expires time.Time) {
		must(t, s.CreateOAuthState(ctx, &store.OAuthState{StateHash: []byte(name), SessionID: "s", UserID: u.ID, WorkspaceID: res.WorkspaceID,
			Provider: "mastodon", Server: "https://social.example", Verifier: []byte("sealed"), ExpiresAt: expires}))
	}
	idem := func(name string, created time.Time) {
		_, err := s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: u.ID, Key: name, RequestHash: []byte("h"), CreatedAt: created})
		must(t, err)
	}
	session("expired", start.Add(-time.Minute))
	session("live", start.Add(time.Hour))
	state("expired", start.Add(-time.Minute))
	state("live", start.Add(time.Hour))
	idem("expired", start.Add(-25*time.Hour))
	idem("live", start.Add(-time.Hour))

	d := driver()
	must(t, publish.Migrate(ctx, d, log))
	var purges []publish.Purge
	for _, p := range a.Purges() {
		purges = append(purges, publish.Purge(p))
	}
	eng, err := publish.New(d, txOf, s, a, publish.Config{PollInterval: 50 * time.Millisecond, HeartbeatInterval: time.Second,
		Purges: purges, HousekeepingInterval: 2 * time.Second}, log, now)
	must(t, err)
	must(t, eng.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		must(t, eng.Stop(sctx))
	})

	// gone waits until a session no longer exists. Sessions are purged last,
	// so by then the whole run is over.
	gone := func(name string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for {
			_, err := s.FindSessionByHash(ctx, []byte(name))
			if herald.ErrorCode(err) == herald.ENOTFOUND {
				return
			}
			must(t, err)
			if time.Now().After(deadline) {
				t.Fatalf("session %q was not purged", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	gone("expired") // the run at start
	if _, err := s.FindSessionByHash(ctx, []byte("live")); err != nil {
		t.Errorf("live session: %v", err)
	}
	for _, name := range []string{"expired", "live"} {
		// A claim that succeeds finds no row: the key was purged.
		_, err := s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: u.ID, Key: name, RequestHash: []byte("h"), CreatedAt: start})
		if purged := err == nil; purged != (name == "expired") {
			t.Errorf("idempotency key %q purged = %v (%v)", name, purged, err)
		}
	}
	if _, err := s.TakeOAuthState(ctx, []byte("live")); err != nil {
		t.Errorf("live OAuth state: %v", err)
	}
	if _, err := s.TakeOAuthState(ctx, []byte("expired")); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("expired OAuth state: %v, want it purged", err)
	}

	// The job runs again each interval.
	session("expired later", now().Add(time.Second))
	gone("expired later")
}
