package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/discord"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// setupLogged is a minimal API over its own SQLite store whose log the test
// reads; ready is the Config.Ready hook.
func setupLogged(t *testing.T, ready func(*http.Request) error) (*api.Handler, *sqlite.Store, *logBuffer) {
	t.Helper()
	s := sqlitetest.Open(t)
	buf := &logBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	svc, err := app.NewServices(app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "https://herald.test"}, Now: time.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Deps{Services: svc, Scheduler: app.NeverPublish})
	return api.NewHandler(a, api.Config{Version: "test", Ready: ready}, log, time.Now), s, buf
}

func serve(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestReadyzSaysWhatIsDownNotWhy: /readyz is public, so it names the part
// that is down and logs the cause, which may hold addresses and names.
func TestReadyzSaysWhatIsDownNotWhy(t *testing.T) {
	t.Parallel()
	t.Run("no worker", func(t *testing.T) {
		t.Parallel()
		h, _, log := setupLogged(t, func(*http.Request) error {
			return errors.New("count worker nodes: dial tcp 10.1.2.3:5432: connection refused")
		})
		w := serve(h, "GET", "/readyz")
		if w.Code != 503 || strings.TrimSpace(w.Body.String()) != `{"message":"not ready: no publishing worker alive"}` {
			t.Errorf("/readyz = %d %s, want 503 naming the workers only", w.Code, w.Body)
		}
		if !strings.Contains(log.String(), "10.1.2.3") {
			t.Errorf("the cause was not logged: %s", log.String())
		}
	})
	t.Run("no database", func(t *testing.T) {
		t.Parallel()
		h, s, log := setupLogged(t, nil)
		s.Close()
		w := serve(h, "GET", "/readyz")
		if w.Code != 503 || strings.TrimSpace(w.Body.String()) != `{"message":"not ready: database unavailable"}` {
			t.Errorf("/readyz = %d %s, want 503 naming the database only", w.Code, w.Body)
		}
		if !strings.Contains(log.String(), "closed") {
			t.Errorf("the cause was not logged: %s", log.String())
		}
	})
	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		h, _, _ := setupLogged(t, func(*http.Request) error { return nil })
		if w := serve(h, "GET", "/readyz"); w.Code != 200 {
			t.Errorf("/readyz = %d %s, want 200", w.Code, w.Body)
		}
	})
}

// TestInternalErrorShowsOnlyTheRequestID: a failure of Herald's own answers
// a fixed message with the request id, and the log has the cause under the
// same id.
func TestInternalErrorShowsOnlyTheRequestID(t *testing.T) {
	t.Parallel()
	h, s, log := setupLogged(t, nil)
	s.Close() // every query now fails with an internal error
	w := serve(h, "GET", api.BasePath+"/me", "X-API-Key", "hk_anything", "X-Request-Id", "req-42")
	if w.Code != 500 {
		t.Fatalf("GET /me on a closed database = %d %s, want 500", w.Code, w.Body)
	}
	if got, want := strings.TrimSpace(w.Body.String()), `{"message":"Internal error (request id req-42)."}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if l := log.String(); !strings.Contains(l, "request_id=req-42") || !strings.Contains(l, "closed") {
		t.Errorf("log = %s, want the cause under the request id", l)
	}
	// Without a client id Herald makes one and says it in the header too.
	w = serve(h, "GET", api.BasePath+"/me", "X-API-Key", "hk_anything")
	id := w.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(w.Body.String(), "(request id "+id+")") {
		t.Errorf("body = %s with X-Request-Id %q, want the same id in both", w.Body, id)
	}
}

// resolver makes every name resolve to one address.
type resolver netip.Addr

func (r resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return []netip.Addr{netip.Addr(r)}, nil
}

// TestConnectRefusedPrivateAddressNamesTheSetting: a server URL whose name
// resolves to a private address is refused by Herald, not by the network,
// and the answer names the field and the setting that allows it, never the
// address the name resolved to.
func TestConnectRefusedPrivateAddressNamesTheSetting(t *testing.T) {
	t.Parallel()
	client := safehttp.NewClient(safehttp.Config{Resolver: resolver(netip.MustParseAddr("10.1.2.3")), Timeout: 5 * time.Second})
	f := setup(t, 1000, withProviders(mastodon.New(mastodon.Config{}, client), bluesky.New(bluesky.Config{}, client),
		discord.New(discord.Config{APIBase: "https://discord.internal/api"}, client)))
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"mastodon instance", map[string]any{"provider": "mastodon", "instanceUrl": "https://internal.corp", "accessToken": "t"},
			"instanceUrl: Herald does not connect to internal.corp because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"mastodon instance as an address", map[string]any{"provider": "mastodon", "instanceUrl": "http://10.9.8.7", "accessToken": "t"},
			"instanceUrl: Herald does not connect to 10.9.8.7 (private network (RFC 1918)) because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"bluesky server", map[string]any{"provider": "bluesky", "handle": "ada.example", "appPassword": "p", "service": "https://pds.internal"},
			"service: Herald does not connect to pds.internal because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"discord webhook", map[string]any{"provider": "discord", "webhookUrl": "https://discord.internal/api/webhooks/123/tok"},
			"webhookUrl: Herald does not connect to discord.internal because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := f.do("POST", base+"/social-profiles?workspaceId="+f.ws, f.key, tc.body)
			if got := message(t, body); status != 400 || got != tc.want {
				t.Errorf("connect = %d %q, want 400 %q", status, got, tc.want)
			}
			if strings.Contains(string(body), "10.1.2.3") {
				t.Errorf("the answer shows the resolved address: %s", body)
			}
		})
	}
}

// TestTextFieldsRefuseNUL: every text a user sends goes through one check
// (herald.CheckText), which JSON already had: multipart fields and query
// parameters too, so PostgreSQL never sees a NUL (it answered 500).
func TestTextFieldsRefuseNUL(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{})
	pic := pngOf(t, 8, 8)
	for _, after := range []bool{false, true} {
		status, body := f.upload(t, "a.png", pic, "a cat\x00", after)
		if want := "altText: must not contain the NUL character (\\u0000)"; status != 400 || message(t, body) != want {
			t.Errorf("upload with altText after=%v = %d %s, want 400 %q", after, status, body, want)
		}
	}
	status, body, _ := f.do("GET", base+"/post?workspaceId="+f.ws+"%00", f.key, nil)
	if want := "workspaceId: must not contain the NUL character (\\u0000)"; status != 400 || message(t, body) != want {
		t.Errorf("query with a NUL = %d %s, want 400 %q", status, body, want)
	}
	status, body, _ = f.do("GET", base+"/post?workspaceId="+f.ws+"%ff", f.key, nil)
	if want := "workspaceId: is not valid UTF-8"; status != 400 || message(t, body) != want {
		t.Errorf("query with invalid UTF-8 = %d %s, want 400 %q", status, body, want)
	}
}

// TestAdoptingAnotherWorkspacesMediaLeavesItsAltText: a Herald media URL
// is public, so another workspace may use the bytes, but the alt text is
// the owner's library text and is not copied.
func TestAdoptingAnotherWorkspacesMediaLeavesItsAltText(t *testing.T) {
	t.Parallel()
	f := setupMedia(t, mediaOptions{})
	ctx := context.Background()
	st, b := f.upload(t, "a.png", pngOf(t, 16, 16), "Draft for the board: layoffs announcement", false)
	if st != 201 {
		t.Fatalf("upload = %d %s", st, b)
	}
	src := decode[mediaBody](t, b)
	other, err := f.app.Init(ctx, app.InitParams{Email: "other@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if st, b, _ := f.do("POST", base+"/post?workspaceId="+other.WorkspaceID, other.APIKey, map[string]any{"caption": "x", "mediaUrls": []string{src.URL}}); st != 201 {
		t.Fatalf("other workspace's post = %d %s", st, b)
	}
	ms, err := f.store.FindMedia(ctx, herald.MediaFilter{WorkspaceID: other.WorkspaceID, Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("other workspace's media = %v, %v; want one file", ms, err)
	}
	if ms[0].AltText != "" {
		t.Errorf("the adopted copy has the owner's alt text %q", ms[0].AltText)
	}
	// In its own workspace the file keeps its alt text.
	f.ok("POST", base+"/post?workspaceId="+f.ws, map[string]any{"caption": "x", "mediaUrls": []string{src.URL}}, 201)
	own, err := f.store.FindMediaByID(ctx, src.ID)
	if err != nil || own.AltText != "Draft for the board: layoffs announcement" {
		t.Errorf("own file = %+v, %v", own, err)
	}
}

// deleteFails is the feed network whose deletions fail with an error that
// is not the network's (a transport error naming an address).
type deleteFails struct{ provider.Provider }

func (deleteFails) Delete(context.Context, *provider.Account, string) error {
	return errors.New("dial tcp 10.1.2.3:443: connection refused")
}

// TestRemoteDeleteFailureHidesTheCause: deleting a post from the networks
// lists what failed with the network's reason only; an unclassified error
// is not shown.
func TestRemoteDeleteFailureHidesTheCause(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000, withProviders(deleteFails{feed.New(feed.Config{ItemURL: func(k string) string { return "https://herald.test/feeds/items/" + k }})}))
	prof := decode[map[string]any](t, f.ok("POST", base+"/social-profiles?workspaceId="+f.ws, map[string]any{"provider": "feed", "name": "News"}, 201))
	members, err := f.store.FindMembers(context.Background(), f.ws)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	pid := herald.NewID()
	p := &herald.Post{ID: pid, WorkspaceID: f.ws, CreatedBy: members[0].UserID, PostType: herald.PostTypeRegular, Status: herald.StatusPosted,
		Caption: "x", CreatedAt: now, UpdatedAt: now, ScheduledAt: &now,
		Targets: []*herald.PostTarget{{ID: herald.NewID(), PostID: pid, SocialProfileID: prof["id"].(string), Provider: "feed", State: herald.TargetPublished,
			RemoteID: "r1", PublishedAt: &now, UpdatedAt: now}}}
	if err := f.store.CreatePost(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	status, body, _ := f.do("DELETE", base+"/post/"+pid+"?workspaceId="+f.ws+"&remote=true", f.key, nil)
	if status != 503 || !strings.Contains(message(t, body), "an unexpected error (Herald's log has the cause)") || strings.Contains(string(body), "10.1.2.3") {
		t.Errorf("DELETE remote = %d %s, want 503 without the cause", status, body)
	}
}
