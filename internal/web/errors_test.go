package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store/sqlite"
	"github.com/heraldhq/herald/internal/web"
)

// lockedBuffer is a log the server writes and the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// resolver makes every name resolve to one address.
type resolver netip.Addr

func (r resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return []netip.Addr{netip.Addr(r)}, nil
}

// webSite is a started web app with a signed-in browser.
type webSite struct {
	t         *testing.T
	url       string
	store     *sqlite.Store
	log       *lockedBuffer
	browser   *http.Client
	workspace string
	csrf      string
}

// setupSite starts the web app on SQLite with Mastodon reachable through
// the safe client (every name resolving to 10.1.2.3) and signs in.
func setupSite(t *testing.T) *webSite {
	t.Helper()
	s := sqlitetest.Open(t)
	srv := httptest.NewUnstartedServer(nil)
	buf := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	key, _ := secret.GenerateKey()
	sealer, _ := secret.New(key)
	client := safehttp.NewClient(safehttp.Config{Resolver: resolver(netip.MustParseAddr("10.1.2.3")), Timeout: 5 * time.Second})
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://" + srv.Listener.Addr().String()}, Now: time.Now, Log: log,
		Providers: provider.NewRegistry(mastodon.New(mastodon.Config{}, client), feed.New(feed.Config{})), Sealer: sealer})
	srv.Config.Handler = web.NewHandler(a, log)
	srv.Start()
	t.Cleanup(srv.Close)
	creds, err := a.Init(context.Background(), app.InitParams{Email: "ada@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	site := &webSite{t: t, url: srv.URL, store: s, log: buf, browser: &http.Client{Jar: jar, Timeout: 10 * time.Second}, workspace: creds.WorkspaceID}
	if resp, body := site.post("/signin", url.Values{"email": {creds.Email}, "password": {creds.Password}}); resp.StatusCode != 200 {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	_, form := site.get("/connect/mastodon?workspaceId=" + creds.WorkspaceID)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("connect page has no form: %s", form)
	}
	site.csrf = m[1]
	return site
}

func (s *webSite) post(path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.url)
	return s.do(req)
}

func (s *webSite) get(path string) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	return s.do(req)
}

func (s *webSite) do(req *http.Request) (*http.Response, string) {
	s.t.Helper()
	resp, err := s.browser.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestWebUsesTheErrorTable: the web app answers with the API's table, not
// its own (which made a not-implemented network a 503), and an internal
// failure shows the request id only, its cause going to the log.
func TestWebUsesTheErrorTable(t *testing.T) {
	t.Parallel()
	site := setupSite(t)
	// Connecting a network that has no server OAuth is not implemented
	// (the web app's own table made it 503).
	resp, body := site.post("/connect/feed", url.Values{"csrf": {site.csrf}, "workspaceId": {site.workspace}, "server": {"x"}})
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(body, "not available on this Herald yet") {
		t.Fatalf("connect feed = %d %s, want 501", resp.StatusCode, body)
	}

	site.store.Close() // every query fails from here on
	resp, body = site.get("/")
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 500 || id == "" || !strings.Contains(body, "Internal error (request id "+id+").") {
		t.Fatalf("home on a closed database = %d (X-Request-Id %q) %s, want 500 with the request id", resp.StatusCode, id, body)
	}
	if strings.Contains(body, "closed") {
		t.Errorf("the page shows the cause: %s", body)
	}
	if l := site.log.String(); !strings.Contains(l, "request_id="+id) || !strings.Contains(l, "database is closed") {
		t.Errorf("log = %s, want the cause under the request id", l)
	}
}

// TestConnectPageRefusedPrivateServer: a Mastodon server whose name
// resolves to a private address is refused by Herald, and the page says so
// and names the setting, without the address.
func TestConnectPageRefusedPrivateServer(t *testing.T) {
	t.Parallel()
	site := setupSite(t)
	resp, body := site.post("/connect/mastodon", url.Values{"csrf": {site.csrf}, "workspaceId": {site.workspace}, "server": {"internal.corp"}})
	want := "server: Herald does not connect to internal.corp because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"
	if resp.StatusCode != 400 || !strings.Contains(body, want) {
		t.Errorf("connect = %d %s, want 400 with %q", resp.StatusCode, body, want)
	}
	if strings.Contains(body, "10.1.2.3") {
		t.Errorf("the page shows the resolved address: %s", body)
	}
}

// TestFormFieldsRefuseNUL: form fields go through the same text check as
// the API's JSON, so PostgreSQL never sees a NUL (it answered 500).
func TestFormFieldsRefuseNUL(t *testing.T) {
	t.Parallel()
	site := setupSite(t)
	resp, body := site.post("/signin", url.Values{"email": {"ada@example.org\x00"}, "password": {"x"}})
	if want := "email: must not contain the NUL character (\\u0000)"; resp.StatusCode != 400 || !strings.Contains(body, want) {
		t.Errorf("sign-in with a NUL = %d %s, want 400 with %q", resp.StatusCode, body, want)
	}
	resp, body = site.post("/connect/mastodon", url.Values{"csrf": {site.csrf}, "workspaceId": {site.workspace}, "server": {"a\x00.example"}})
	if want := "server: must not contain the NUL character (\\u0000)"; resp.StatusCode != 400 || !strings.Contains(body, want) {
		t.Errorf("connect with a NUL = %d %s, want 400 with %q", resp.StatusCode, body, want)
	}
	resp, body = site.get("/connect/mastodon?workspaceId=" + site.workspace + "%00")
	if resp.StatusCode != 400 || !strings.Contains(body, "workspaceId: must not contain the NUL character") {
		t.Errorf("query with a NUL = %d %s, want 400", resp.StatusCode, body)
	}
}
