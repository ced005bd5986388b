package app_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// env is an app on a migrated store, with a workspace and its owner.
type env struct {
	store store.Store
	app   *app.App
	ctx   context.Context // authenticated as the workspace's owner
	ws    string
}

// forEachStore runs fn on SQLite and on PostgreSQL (skipped without
// HERALD_TEST_DATABASE_URL).
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) { fn(t, setup(t, s)) })
}

// forEachStoreWith is forEachStore for tests that build their own app on
// the store (not yet migrated: setup and setupWith migrate it).
func forEachStoreWith(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
}

func setup(t *testing.T, s store.Store) *env {
	t.Helper()
	return setupWith(t, s, app.NeverPublish)
}

// setupWith is setup with the app's scheduler.
func setupWith(t *testing.T, s store.Store, sched app.Scheduler) *env {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.(interface {
		Migrate(context.Context, time.Time) ([]string, error)
	}).Migrate(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.NewServices(app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://herald.test"}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Providers: provider.NewRegistry(feed.New(feed.Config{ItemURL: func(k string) string { return "http://herald.test/feeds/items/" + k }, Now: time.Now})), Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Deps{Services: svc, Scheduler: sched})
	res, err := a.Init(ctx, app.InitParams{Email: "owner@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := a.AuthenticateAPIKey(ctx, res.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: s, app: a, ctx: herald.NewContextWithUser(ctx, u), ws: res.WorkspaceID}
}
