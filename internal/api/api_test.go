package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/publish"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/discord"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/slack"
	"github.com/heraldhq/herald/internal/provider/telegram"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// clock is a settable clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t       testing.TB
	handler *api.Handler
	app     *app.App
	store   *sqlite.Store
	clock   *clock
	key     string
	ws      string
	// responses records every JSON answer, for the OpenAPI check.
	mu        sync.Mutex
	responses []recorded
}

type recorded struct {
	method, pattern string
	status          int
	body            []byte
}

func setup(t testing.TB, rateLimit int, opts ...option) *fixture {
	t.Helper()
	return setupWithLog(t, rateLimit, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
}

// option changes how the fixture is built.
type option func(*setupOptions)

type setupOptions struct {
	services app.ServicesConfig
	// scheduler, if set, builds the app's scheduler from its services
	// (the publishing engine); otherwise nothing publishes.
	scheduler func(t testing.TB, s *sqlite.Store, svc *app.Services, now func() time.Time) app.Scheduler
}

// withProviders replaces the fixture's networks.
func withProviders(ps ...provider.Provider) option {
	return func(o *setupOptions) { o.services.Providers = provider.NewRegistry(ps...) }
}

// withMedia replaces the fixture's media component.
func withMedia(m *app.MediaService) option {
	return func(o *setupOptions) { o.services.Media = m }
}

// withPublishing runs the real publishing engine on the fixture's store.
func withPublishing() option {
	return func(o *setupOptions) { o.scheduler = startEngine }
}

// startEngine starts the publishing engine on s, stopped when the test ends.
func startEngine(t testing.TB, s *sqlite.Store, svc *app.Services, now func() time.Time) app.Scheduler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	driver := riversqlite.New(s.DB())
	if err := publish.Migrate(ctx, driver, log); err != nil {
		t.Fatal(err)
	}
	eng, err := publish.New(driver, sqlite.DriverTx, s, svc, publish.Config{PollInterval: 50 * time.Millisecond, AttemptTimeout: 5 * time.Second}, log, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Stop(sctx)
	})
	return eng
}

// setupWithLog is setup with the handler's and the app's logger.
func setupWithLog(t testing.TB, rateLimit int, log *slog.Logger, opts ...option) *fixture {
	t.Helper()
	s := sqlitetest.Open(t)
	c := &clock{now: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)}
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	o := setupOptions{services: app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "https://herald.test"}, Now: c.Now, Log: log, Sealer: sealer,
		Providers: newRegistry(t, provider.Env{Client: http.DefaultClient, Now: c.Now, PublicURL: "https://herald.test"})}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.services.Media == nil {
		o.services.Media = newTestMedia(t, mediaOptions{allowPrivate: true}) // media_test.go
	}
	svc, err := app.NewServices(o.services)
	if err != nil {
		t.Fatal(err)
	}
	var sched app.Scheduler = app.NeverPublish
	if o.scheduler != nil {
		sched = o.scheduler(t, s, svc, c.Now)
	}
	a := app.New(app.Deps{Services: svc, Scheduler: sched})
	res, err := a.Init(context.Background(), app.InitParams{Email: "owner@example.org", Name: "Owner"})
	if err != nil {
		t.Fatal(err)
	}
	h := api.NewHandler(a, api.Config{RateLimit: rateLimit, Version: "test"}, log, c.Now)
	return &fixture{t: t, handler: h, app: a, store: s, clock: c, key: res.APIKey, ws: res.WorkspaceID}
}

// networks lists the networks of the API tests, as cli's list does for
// Herald: the six of Herald, and echo, a network defined only in this test
// package (echo_test.go).
func networks() []provider.Network {
	return []provider.Network{
		mastodon.Network(),
		bluesky.Network(),
		discord.Network(),
		slack.Network(),
		telegram.Network(),
		feed.Network(),
		echoNetwork(),
	}
}

// newRegistry builds the networks of the list as cli does.
func newRegistry(t testing.TB, env provider.Env) *provider.Registry {
	t.Helper()
	reg := provider.NewRegistry()
	for _, n := range networks() {
		p, err := n.New(env)
		if err != nil {
			t.Fatal(err)
		}
		reg.Register(p)
	}
	return reg
}

// do sends a request and returns the status and body.
func (f *fixture) do(method, target, key string, body any, header ...string) (int, []byte, http.Header) {
	f.t.Helper()
	return f.request(f.t, true, method, target, key, body, header...)
}

// request is do for a given test; record keeps the answer for the OpenAPI
// check.
func (f *fixture) request(t testing.TB, record bool, method, target, key string, body any, header ...string) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, target, r)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	if record {
		f.mu.Lock()
		f.responses = append(f.responses, recorded{method: method, pattern: target, status: w.Code, body: w.Body.Bytes()})
		f.mu.Unlock()
	}
	return w.Code, w.Body.Bytes(), w.Header()
}

func (f *fixture) ok(method, target string, body any, want int) []byte {
	f.t.Helper()
	status, b, _ := f.do(method, target, f.key, body)
	if status != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, target, status, b, want)
	}
	return b
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// profile stores a connected social profile in the fixture's workspace.
func (f *fixture) profile(provider, name string) string {
	f.t.Helper()
	p := &herald.SocialProfile{ID: herald.NewID(), WorkspaceID: f.ws, Provider: provider, Name: name, ExternalID: name,
		Status: herald.ProfileConnected, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.store.CreateSocialProfile(context.Background(), p); err != nil {
		f.t.Fatal(err)
	}
	return p.ID
}

const base = api.BasePath

func TestErrorsAreJSONWithTheRightStatus(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	other, err := f.app.Init(context.Background(), app.InitParams{Email: "other@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ws := "?workspaceId=" + f.ws
	tests := []struct {
		name           string
		method, target string
		key            string
		body           any
		header         []string
		status         int
		message        string // a part of the message
	}{
		{"missing key", "GET", base + "/me", "", nil, nil, 401, "Missing API token."},
		{"unknown key", "GET", base + "/me", "hk_nope", nil, nil, 403, "Invalid API token."},
		{"unknown route", "GET", base + "/nope", "k", nil, nil, 404, "No such endpoint"},
		{"wrong method", "PUT", base + "/post", "k", nil, nil, 405, "PUT is not allowed"},
		{"missing workspace", "GET", base + "/social-profiles", "k", nil, nil, 400, "workspaceId: is required"},
		{"another user's workspace", "GET", base + "/brand-kits?workspaceId=" + other.WorkspaceID, "k", nil, nil, 404, "not found"},
		{"bad JSON", "POST", base + "/post" + ws, "k", `{"caption": "x",}`, nil, 400, "invalid JSON"},
		{"truncated JSON", "POST", base + "/post" + ws, "k", `{"caption": "x"`, nil, 400, "unexpected end"},
		{"empty body", "POST", base + "/post" + ws, "k", ``, nil, 400, "body: is empty"},
		{"array body", "POST", base + "/post" + ws, "k", `[]`, nil, 400, "must be a JSON object"},
		{"wrong type", "POST", base + "/post" + ws, "k", `{"caption": 5}`, nil, 400, "caption: must be a string"},
		{"wrong array type", "POST", base + "/post" + ws, "k", `{"caption": "x", "socialProfileIds": "a"}`, nil, 400, "socialProfileIds: must be an array"},
		{"wrong element type", "POST", base + "/post" + ws, "k", `{"caption": "x", "socialProfileIds": [1]}`, nil, 400, "socialProfileIds: must be an array of strings (got an array holding a number)"},
		{"NUL in a caption", "POST", base + "/post" + ws, "k", `{"caption": "a\u0000b"}`, nil, 400, "caption: must not contain the NUL character"},
		{"NUL in a list", "POST", base + "/hashtag-libraries" + ws, "k", `{"name": "n", "hashtags": ["ok", "b\u0000d"]}`, nil, 400, "hashtags[1]: must not contain the NUL character"},
		{"NUL validated too", "POST", base + "/post/validate" + ws, "k", `{"caption": "a\u0000b"}`, nil, 400, "caption: must not contain the NUL character"},
		{"trailing slash", "GET", base + "/post/", "k", nil, nil, 404, "No such endpoint"},
		{"unknown field", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduleAt": "2026-07-02T09:00:00Z"}`, nil, 400, "scheduleAt: unknown field"},
		{"trailing data", "POST", base + "/post" + ws, "k", `{"caption": "x"} {}`, nil, 400, "after the JSON object"},
		{"time without zone", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduledAt": "2026-07-02T09:00:00"}`, nil, 400, "scheduledAt: \"2026-07-02T09:00:00\" has no time zone"},
		{"garbage time", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduledAt": "tomorrow"}`, nil, 400, "scheduledAt: \"tomorrow\" is not an ISO-8601 time"},
		{"time of wrong type", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduledAt": 12}`, nil, 400, "scheduledAt: must be a string"},
		{"past time", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduledAt": "2026-06-30T09:00:00Z", "socialProfileIds": []}`, nil, 400, "scheduledAt: 2026-06-30T09:00:00.000Z is in the past"},
		{"no caption", "POST", base + "/post" + ws, "k", `{}`, nil, 400, "caption: is required unless mediaUrls"},
		{"schedule without profiles", "POST", base + "/post" + ws, "k", `{"caption": "x", "scheduledAt": "2026-07-02T09:00:00Z"}`, nil, 400, "socialProfileIds: at least one"},
		{"unknown profile", "POST", base + "/post" + ws, "k", `{"caption": "x", "socialProfileIds": ["cnope"]}`, nil, 404, "socialProfileIds[0]: social profile \"cnope\" not found"},
		{"bad media URL", "POST", base + "/post" + ws, "k", `{"mediaUrls": ["file:///etc/passwd"]}`, nil, 400, "mediaUrls[0]"},
		{"too long caption", "POST", base + "/post" + ws, "k", `{"caption": "` + strings.Repeat("é", 10001) + `"}`, nil, 400, "caption: must be at most 10000 characters"},
		{"oversized body", "POST", base + "/post" + ws, "k", `{"caption": "` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, "body: larger than"},
		{"form body", "POST", base + "/post" + ws, "k", `caption=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "Content-Type: send the body as JSON with Content-Type: application/json"},
		{"text body", "POST", base + "/post" + ws, "k", `caption x`, []string{"Content-Type", "text/plain;charset=UTF-8"}, 415, "send"},
		{"JSON labelled as a form", "POST", base + "/post" + ws, "k", `{"caption": "curl -d"}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 201, ""},
		{"JSON labelled as text", "POST", base + "/post" + ws, "k", `{"caption": "fetch"}`, []string{"Content-Type", "text/plain;charset=UTF-8"}, 201, ""},
		{"broken JSON labelled as JSON", "POST", base + "/post" + ws, "k", `{"caption": `, []string{"Content-Type", "application/json"}, 400, "body: invalid JSON"},
		{"broken JSON labelled as a form", "POST", base + "/post" + ws, "k", `{"caption": `, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"bad visibility", "POST", base + "/post" + ws, "k", `{"caption": "x", "options": {"mastodon": {"visibility": "friends"}}}`, nil, 400, "options.mastodon.visibility: \"friends\" is not one of public, unlisted, private, direct"},
		{"options for a network without any", "POST", base + "/post" + ws, "k", `{"caption": "x", "options": {"discord": {"tts": "true"}}}`, nil, 400, "options.discord: no options exist"},
		{"unknown option", "POST", base + "/post" + ws, "k", `{"caption": "x", "options": {"mastodon": {"cw": "x"}}}`, nil, 400, "options.mastodon.cw: unknown option"},
		{"option of wrong type", "POST", base + "/post" + ws, "k", `{"caption": "x", "options": {"mastodon": {"sensitive": true}}}`, nil, 400, "options: must be a string (got bool)"},
		{"bad language", "POST", base + "/post" + ws, "k", `{"caption": "x", "options": {"bluesky": {"language": "english!"}}}`, nil, 400, "options.bluesky.language"},
		{"unknown status", "GET", base + "/post" + ws + "&statuses=FOO", "k", nil, nil, 400, "statuses: \"FOO\" is not a post status"},
		{"unknown status in an alias", "GET", base + "/post" + ws + "&status=FOO", "k", nil, nil, 400, "status: \"FOO\" is not a post status"},
		{"unknown status in the axios alias", "GET", base + "/post" + ws + "&statuses[]=FOO", "k", nil, nil, 400, "statuses[]: \"FOO\" is not a post status"},
		{"bad page", "GET", base + "/post" + ws + "&page=x", "k", nil, nil, 400, "page: \"x\" is not an integer"},
		{"negative page", "GET", base + "/post" + ws + "&page=-1", "k", nil, nil, 400, "page: must be 0 or more"},
		{"zero perPage", "GET", base + "/post" + ws + "&perPage=0", "k", nil, nil, 400, "perPage: must be at least 1"},
		{"unknown post", "GET", base + "/post/cnope", "k", nil, nil, 404, "Post \"cnope\" not found"},
		{"odd post id", "DELETE", base + "/post/..%2f", "k", nil, nil, 404, "not found"},
		{"unknown provider", "GET", base + "/social-profiles/connection-url" + ws + "&provider=myspace", "k", nil, nil, 400, "provider: \"myspace\" is not a supported network"},
		{"credential provider", "GET", base + "/social-profiles/connection-url" + ws + "&provider=bluesky", "k", nil, nil, 400, "connected with credentials"},
		{"network not supported yet", "GET", base + "/social-profiles/connection-url" + ws + "&provider=linkedin", "k", nil, nil, 400,
			"provider: linkedin is not supported yet; Herald connects mastodon through a connection URL, and bluesky, discord, echo, feed, slack, telegram with POST /social-profiles and credentials, today"},
		{"network not supported yet, by POST", "POST", base + "/social-profiles/connection-url" + ws, "k", `{"provider": "x"}`, nil, 400, "provider: twitter is not supported yet"},
		{"no provider", "GET", base + "/social-profiles/connection-url" + ws, "k", nil, nil, 400, "provider: is required; Herald connects mastodon through a connection URL"},
		{"role in upper case is fine", "POST", base + "/workspaces/" + f.ws + "/members", "k", `{"email": "upper@example.org", "role": "VIEWER"}`, nil, 201, ""},
		{"bad role", "POST", base + "/workspaces/" + f.ws + "/members", "k", `{"email": "x@example.org", "role": "god"}`, nil, 400, "role: must be one of"},
		{"bad e-mail", "POST", base + "/workspaces/" + f.ws + "/members", "k", `{"email": "nope"}`, nil, 400, "email: \"nope\" is not a valid e-mail"},
		{"bad color", "POST", base + "/brand-kits" + ws, "k", `{"name": "A", "colors": ["red"]}`, nil, 400, "colors[0]: \"red\" is not a hex color"},
		{"bad hashtag", "POST", base + "/hashtag-libraries" + ws, "k", `{"name": "A", "hashtags": ["no spaces"]}`, nil, 400, "hashtags[0]"},
		{"ai prompt too short", "POST", base + "/post/ai" + ws, "k", `{"prompt": "short"}`, nil, 400, "prompt: must be at least 10"},
		{"ai tone", "POST", base + "/post/ai" + ws, "k", `{"prompt": "a long enough prompt", "tone": "angry"}`, nil, 400, "tone: \"angry\" is not one of"},
		{"ai not configured", "POST", base + "/post/ai" + ws, "k", `{"prompt": "a long enough prompt"}`, nil, 501, "no AI backend"},
		{"campaign count", "POST", base + "/campaigns" + ws, "k", `{"topic": "launch", "count": 99}`, nil, 400, "count: must be between 3 and 30"},
		{"idempotency key reused", "POST", base + "/brand-kits" + ws, "k", `{"name": "B"}`, []string{"Idempotency-Key", "used"}, 422, "different request"},
	}
	// The reused key is first used with another body.
	if st, b, _ := f.do("POST", base+"/brand-kits"+ws, f.key, `{"name": "A"}`, "Idempotency-Key", "used"); st != 201 {
		t.Fatalf("first idempotent request = %d %s", st, b)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == "k" {
				key = f.key
			}
			status, body, h := f.do(tc.method, tc.target, key, tc.body, tc.header...)
			if status != tc.status {
				t.Errorf("status = %d, want %d (%s)", status, tc.status, body)
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var e struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Message, tc.message) {
				t.Errorf("message = %q (%v), want it to contain %q", e.Message, err, tc.message)
			}
		})
	}
}
