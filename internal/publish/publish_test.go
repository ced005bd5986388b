package publish_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/discord"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
	"github.com/heraldhq/herald/internal/publish"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// clock runs in real time from a chosen start and can jump, for the app,
// the workers and the job queue alike.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).UTC()
}

// NowOrNil implements River's rivertype.TimeGenerator: the time is stubbed.
func (c *clock) NowOrNil() *time.Time {
	t := c.Now()
	return &t
}

// Set makes the clock read t now.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.offset = time.Until(t)
	c.mu.Unlock()
}

// env is a store, an app and a running engine, with fake networks.
type env struct {
	t       *testing.T
	store   store.Store
	app     *app.App
	clock   *clock
	ctx     context.Context // authenticated as the workspace's owner
	ws      string
	masto   *mastodonfake.Server
	bsky    *blueskyfake.Server
	discord *discordfake.Fake
	media   *noMedia
	stop    func()
	// stopWithin stops the engine with a shutdown timeout of d, once.
	stopWithin func(d time.Duration) error
}

// engineStore hides every method of the store but publish.Store's, so that
// the engine's tests show it needs no more.
type engineStore struct{ publish.Store }

// options change the environment of one test.
type options struct {
	// discord configures the fake Discord (its latency, say).
	discord []discordfake.Option
}

// noMedia gives the engine the app's services; these posts carry no files,
// unless a test makes reading them fail (fail).
type noMedia struct {
	*app.Services
	mu  sync.Mutex
	err error
}

func (m *noMedia) TargetMedia(context.Context, *herald.Post, *herald.PostTarget) ([]provider.Media, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return nil, m.err
}

// fail makes every later TargetMedia fail with err.
func (m *noMedia) fail(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}

// forEachStore runs fn on SQLite and, when configured, on PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *env)) {
	forEachStoreWith(t, options{}, fn)
}

// forEachStoreWith is forEachStore with options.
func forEachStoreWith(t *testing.T, o options, fn func(t *testing.T, open func(t *testing.T) *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) *env {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
			must(t, err)
			return setup(t, s, func() riverdriver.Driver[*sql.Tx] { return riversqlite.New(s.DB()) }, sqlite.DriverTx, o)
		})
	})
	if os.Getenv(pgtest.EnvVar) == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, func(t *testing.T) *env {
			s, err := postgres.Open(context.Background(), pgtest.URL(t))
			must(t, err)
			return setup(t, s, func() riverdriver.Driver[pgx.Tx] { return riverpgxv5.New(s.Pool()) }, postgres.DriverTx, o)
		})
	})
}

// forOneStore opens an environment on SQLite, for tests of rules that do
// not depend on the database.
func forOneStore(t *testing.T) *env {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
	must(t, err)
	return setup(t, s, func() riverdriver.Driver[*sql.Tx] { return riversqlite.New(s.DB()) }, sqlite.DriverTx, options{})
}

func setup[TTx any](t *testing.T, s store.Store, driver func() riverdriver.Driver[TTx], txOf func(store.Tx) (TTx, bool), o options) *env {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	_, err := s.(interface {
		Migrate(context.Context, time.Time) ([]string, error)
	}).Migrate(ctx, time.Now())
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	e := &env{t: t, store: s, clock: &clock{}}
	e.masto = mastodonfake.NewTest(t, mastodonfake.Options{IgnoreIdempotencyKey: true, IncludeSourceText: true, HoldTimeout: 10 * time.Second, Now: e.clock.Now})
	e.bsky = blueskyfake.NewTest(t, blueskyfake.Options{HoldTimeout: 10 * time.Second, Now: e.clock.Now})
	e.discord = discordfake.New(append([]discordfake.Option{discordfake.WithClock(e.clock.Now)}, o.discord...)...)
	t.Cleanup(e.discord.Close)

	key, err := secret.GenerateKey()
	must(t, err)
	sealer, err := secret.New(key)
	must(t, err)
	client := &http.Client{Timeout: 10 * time.Second}
	reg := provider.NewRegistry(
		mastodon.New(mastodon.Config{Now: e.clock.Now}, client),
		bluesky.New(bluesky.Config{PLCURL: e.bsky.URL, Now: e.clock.Now}, client),
		discord.New(discord.Config{APIBase: e.discord.URL, Now: e.clock.Now}, client),
		feed.New(feed.Config{ItemURL: func(k string) string { return "http://herald.test/feeds/items/" + k }, Now: e.clock.Now}),
	)
	svc, err := app.NewServices(app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://herald.test"}, Now: e.clock.Now, Log: log,
		Providers: reg, Sealer: sealer})
	must(t, err)
	d := driver()
	must(t, publish.Migrate(ctx, d, log))
	e.media = &noMedia{Services: svc}
	eng, err := publish.New(d, txOf, engineStore{s}, e.media, publish.Config{PollInterval: 50 * time.Millisecond, AttemptTimeout: 6 * time.Second,
		HeartbeatInterval: time.Second, SweepInterval: time.Second, Clock: e.clock}, log, e.clock.Now)
	must(t, err)
	e.app = app.New(app.Deps{Services: svc, Scheduler: eng})
	must(t, eng.Start(ctx))
	var stopOnce sync.Once
	e.stopWithin = func(d time.Duration) (err error) {
		stopOnce.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			err = eng.Stop(sctx)
		})
		return err
	}
	e.stop = func() { must(t, e.stopWithin(20*time.Second)) }
	t.Cleanup(e.stop)

	res, err := e.app.Init(ctx, app.InitParams{Email: "owner@example.org"})
	must(t, err)
	u, _, err := e.app.AuthenticateAPIKey(ctx, res.APIKey)
	must(t, err)
	e.ctx, e.ws = herald.NewContextWithUser(ctx, u), res.WorkspaceID
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) connect(body map[string]any) *herald.SocialProfile {
	e.t.Helper()
	b, _ := json.Marshal(body)
	p, err := e.app.ConnectProfile(e.ctx, e.ws, b)
	must(e.t, err)
	return p
}

func (e *env) mastodonProfile() *herald.SocialProfile {
	_, token := e.masto.CreateAccount("ada")
	return e.connect(map[string]any{"provider": "mastodon", "instanceUrl": e.masto.URL, "accessToken": token})
}

func (e *env) blueskyProfile() *herald.SocialProfile {
	e.bsky.CreateAccount("ada.test", "app-pass-word-1234")
	return e.connect(map[string]any{"provider": "bluesky", "handle": "ada.test", "appPassword": "app-pass-word-1234", "service": e.bsky.URL})
}

func (e *env) discordProfile() *herald.SocialProfile {
	wh := e.discord.AddWebhook("announcements")
	return e.connect(map[string]any{"provider": "discord", "webhookUrl": e.discord.WebhookURL(wh)})
}

// schedule creates a post due in d. On a loaded machine creating the post
// may take longer than d: the time is then moved further out.
func (e *env) schedule(caption string, d time.Duration, profiles ...*herald.SocialProfile) *herald.Post {
	e.t.Helper()
	ids := make([]string, len(profiles))
	for i, p := range profiles {
		ids[i] = p.ID
	}
	for {
		at := e.clock.Now().Add(d).Truncate(time.Millisecond)
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: caption, SocialProfileIDs: ids, ScheduledAt: &at})
		if err != nil && strings.Contains(err.Error(), "in the past") && d < time.Minute {
			d *= 2
			continue
		}
		must(e.t, err)
		return p
	}
}

// settle waits until every target of the post is in a final state.
func (e *env) settle(id string) *herald.Post {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		p, err := e.store.FindPostByID(context.Background(), id)
		must(e.t, err)
		done := true
		for _, t := range p.Targets {
			switch t.State {
			case herald.TargetPublished, herald.TargetFailed, herald.TargetNeedsAttention:
			default:
				done = false
			}
		}
		if done {
			return p
		}
		if time.Now().After(deadline) {
			for _, t := range p.Targets {
				e.t.Logf("target %s (%s): %s attempts=%d %s %s", t.ID, t.Provider, t.State, t.Attempts, t.ErrorCode, t.ErrorMessage)
			}
			e.t.Fatalf("post %s did not settle", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func target(p *herald.Post, provider string) *herald.PostTarget {
	for _, t := range p.Targets {
		if t.Provider == provider {
			return t
		}
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustProfile(t *testing.T, e *env, id string) *herald.SocialProfile {
	t.Helper()
	p, err := e.store.FindSocialProfileByID(context.Background(), id)
	must(t, err)
	return p
}

func publishRequest(key string, p *herald.Post) *provider.PublishRequest {
	return &provider.PublishRequest{Key: key, Text: p.Caption, ScheduledAt: *p.ScheduledAt}
}

// discordWebhooks lists the ids of the fake's webhooks.
func (e *env) discordWebhooks() []string {
	var ids []string
	for _, p := range mustProfiles(e) {
		if p.Provider == "discord" {
			ids = append(ids, p.ExternalID)
		}
	}
	return ids
}

func mustProfiles(e *env) []*herald.SocialProfile {
	ps, err := e.store.FindSocialProfiles(context.Background(), e.ws)
	must(e.t, err)
	return ps
}
