package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/web"
)

// TestConnectMastodonThroughOAuth connects an account the way a user does:
// signed in to Herald, they name their server, approve access there, and
// come back connected.
func TestConnectMastodonThroughOAuth(t *testing.T) {
	t.Parallel()
	fake := mastodonfake.NewTest(t, mastodonfake.Options{})
	accountID, _ := fake.CreateAccount("ada")
	fake.SignIn(accountID)

	s := sqlitetest.Open(t)
	srv := httptest.NewUnstartedServer(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key, _ := secret.GenerateKey()
	sealer, _ := secret.New(key)
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://" + srv.Listener.Addr().String()}, Now: time.Now, Log: log,
		Providers: provider.NewRegistry(mastodon.New(mastodon.Config{}, &http.Client{Timeout: 10 * time.Second})), Sealer: sealer})
	srv.Config.Handler = web.NewHandler(a, log)
	srv.Start()
	t.Cleanup(srv.Close)
	creds, err := a.Init(context.Background(), app.InitParams{Email: "ada@example.org"})
	if err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(u string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL) // what a browser sends from Herald's own page
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := post(srv.URL+"/signin", url.Values{"email": {creds.Email}, "password": {creds.Password}}); resp.StatusCode != 200 || !strings.Contains(body, "Welcome") {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	// A network this Herald cannot connect yet is refused on the page with
	// the API's reason, not a 503.
	if resp, body := get(srv.URL + "/connect/linkedin?workspaceId=" + creds.WorkspaceID); resp.StatusCode != 400 || !strings.Contains(body, "linkedin is not supported yet") {
		t.Errorf("GET /connect/linkedin = %d %s, want 400 saying it is not supported yet", resp.StatusCode, body)
	}
	_, form := get(srv.URL + "/connect/mastodon?workspaceId=" + creds.WorkspaceID)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if csrf == nil {
		t.Fatalf("connect page has no form: %s", form)
	}
	// A server that is not one is refused on the page, clearly.
	if resp, body := post(srv.URL+"/connect/mastodon", url.Values{"csrf": {csrf[1]}, "workspaceId": {creds.WorkspaceID}, "server": {"not a server"}}); resp.StatusCode != 400 || !strings.Contains(body, "server:") {
		t.Errorf("bad server: %d %s", resp.StatusCode, body)
	}
	// The real one: Herald registers, the server approves, Herald connects.
	resp, body := post(srv.URL+"/connect/mastodon", url.Values{"csrf": {csrf[1]}, "workspaceId": {creds.WorkspaceID}, "server": {fake.URL}})
	if resp.StatusCode != 200 || !strings.Contains(body, `id="connected"`) {
		t.Fatalf("connect: %d %s", resp.StatusCode, body)
	}
	u, _, _ := a.AuthenticateAPIKey(context.Background(), creds.APIKey)
	profiles, err := a.ListSocialProfiles(herald.NewContextWithUser(context.Background(), u), creds.WorkspaceID)
	if err != nil || len(profiles) != 1 || profiles[0].Provider != "mastodon" || !strings.Contains(profiles[0].Name, "ada") {
		t.Fatalf("profiles = %+v, %v", profiles, err)
	}
	if n := fake.Requests("POST /api/v1/apps"); n != 1 {
		t.Errorf("apps registered = %d, want 1", n)
	}
	// The callback link cannot be replayed.
	replay := resp.Request.URL.String()
	if r2, b2 := get(replay); r2.StatusCode != 400 || !strings.Contains(b2, "expired") {
		t.Errorf("replayed callback = %d %s", r2.StatusCode, b2)
	}
	// Connecting again reuses the registration and updates the profile.
	if resp, body := post(srv.URL+"/connect/mastodon", url.Values{"csrf": {csrf[1]}, "workspaceId": {creds.WorkspaceID}, "server": {fake.URL}}); resp.StatusCode != 200 {
		t.Fatalf("second connect: %d %s", resp.StatusCode, body)
	}
	if n := fake.Requests("POST /api/v1/apps"); n != 1 {
		t.Errorf("apps registered = %d after reconnecting, want 1", n)
	}
	if ps, _ := a.ListSocialProfiles(herald.NewContextWithUser(context.Background(), u), creds.WorkspaceID); len(ps) != 1 {
		t.Errorf("profiles after reconnecting = %d, want 1", len(ps))
	}
}
