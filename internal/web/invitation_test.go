package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/web"
)

// visitor is a browser-like client with its own cookies.
type visitor struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newVisitor(t *testing.T, base string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (v *visitor) get(path string) (int, string) {
	v.t.Helper()
	resp, err := v.client.Get(v.base + path)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (v *visitor) post(path string, form url.Values) (int, string, string) {
	v.t.Helper()
	req, _ := http.NewRequest("POST", v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", v.base) // what a browser sends from Herald's own page
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

// TestAcceptInvitations accepts invitations the way people do: one without
// an account chooses a name and password; one with an account signs in and
// accepts; links that cannot be used say why.
func TestAcceptInvitations(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t)
	srv := httptest.NewUnstartedServer(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://" + srv.Listener.Addr().String()}, Now: time.Now, Log: log})
	srv.Config.Handler = web.NewHandler(a, log)
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	owner, err := a.Init(ctx, app.InitParams{Email: "owner@example.org", Workspace: "Team Rocket"})
	if err != nil {
		t.Fatal(err)
	}
	known, err := a.Init(ctx, app.InitParams{Email: "known@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ou, _, _ := a.AuthenticateAPIKey(ctx, owner.APIKey)
	octx := herald.NewContextWithUser(ctx, ou)
	invite := func(email string) string {
		t.Helper()
		inv, err := a.InviteMember(octx, owner.WorkspaceID, app.InviteParams{Email: email, Role: herald.RoleEditor})
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(inv.AcceptURL, srv.URL)
	}
	members := func() map[string]herald.Role {
		ms, err := a.ListMembers(octx, owner.WorkspaceID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]herald.Role{}
		for _, m := range ms {
			out[m.User.Email] = m.Role
		}
		return out
	}

	t.Run("new account", func(t *testing.T) {
		link := invite("new@example.org")
		v := newVisitor(t, srv.URL)
		if status, body := v.get(link); status != 200 || !strings.Contains(body, `id="create"`) || !strings.Contains(body, "Team Rocket") {
			t.Fatalf("accept page = %d %s", status, body)
		}
		if status, body, _ := v.post(link, url.Values{"name": {"Newt"}, "password": {"too short"}}); status != 400 || !strings.Contains(body, "at least 12 characters") || !strings.Contains(body, `value="Newt"`) {
			t.Errorf("short password = %d %s", status, body)
		}
		status, body, path := v.post(link, url.Values{"name": {"Newt Scamander"}, "password": {"a password of mine"}})
		if status != 200 || path != "/" || !strings.Contains(body, "Team Rocket") || !strings.Contains(body, "new@example.org") {
			t.Fatalf("create account = %d at %s: %s", status, path, body)
		}
		if got := members()["new@example.org"]; got != herald.RoleEditor {
			t.Errorf("new member's role = %q, want editor", got)
		}
		if _, _, err := a.SignIn(ctx, "new@example.org", "a password of mine"); err != nil {
			t.Errorf("sign-in with the chosen password: %v", err)
		}
		// Used once.
		if status, body := newVisitor(t, srv.URL).get(link); status != 404 || !strings.Contains(body, "already been used") {
			t.Errorf("used link = %d %s", status, body)
		}
		if status, body, _ := newVisitor(t, srv.URL).post(link, url.Values{"name": {"Mallory"}, "password": {"a password of mine"}}); status != 404 || !strings.Contains(body, "already been used") {
			t.Errorf("used link posted = %d %s", status, body)
		}
	})

	t.Run("existing account", func(t *testing.T) {
		link := invite("known@example.org")
		v := newVisitor(t, srv.URL)
		status, body := v.get(link)
		signIn := "/signin?next=" + url.QueryEscape(link)
		if status != 200 || !strings.Contains(body, `href="`+signIn+`"`) || strings.Contains(body, `id="create"`) {
			t.Fatalf("accept page for a known e-mail = %d %s, want a link to %s and no account form", status, body, signIn)
		}
		// Choosing a password does not take the account over.
		if status, body, _ := v.post(link, url.Values{"name": {"Mallory"}, "password": {"mallory's password"}}); status != 409 || !strings.Contains(body, "sign in") {
			t.Errorf("new account for a known e-mail = %d %s", status, body)
		}
		// Sign in, come back to the invitation, accept.
		status, body, path := v.post("/signin", url.Values{"email": {"known@example.org"}, "password": {known.Password}, "next": {link}})
		if status != 200 || path != link || !strings.Contains(body, `id="accept"`) {
			t.Fatalf("after sign-in = %d at %s: %s", status, path, body)
		}
		if _, ok := members()["known@example.org"]; ok {
			t.Fatal("member before accepting")
		}
		csrf := csrfField.FindStringSubmatch(body)
		if status, body, _ := v.post(link, url.Values{}); status != 403 {
			t.Errorf("accept without the CSRF token = %d %s", status, body)
		}
		if status, body, path := v.post(link, url.Values{"csrf": {csrf[1]}}); status != 200 || path != "/" || !strings.Contains(body, "Team Rocket") {
			t.Fatalf("accept = %d at %s: %s", status, path, body)
		}
		if got := members()["known@example.org"]; got != herald.RoleEditor {
			t.Errorf("role = %q, want editor", got)
		}

		// Signed in as known@, a link for someone else says so, and
		// accepting it is refused with the invitation left for its owner.
		other := invite("someone@example.org")
		status, body = v.get(other)
		if status != 403 || !strings.Contains(body, "signed in as known@example.org") || strings.Contains(body, `id="accept"`) {
			t.Errorf("someone else's link = %d %s", status, body)
		}
		if status, body, _ := v.post(other, url.Values{"csrf": {csrf[1]}}); status != 403 || !strings.Contains(body, "signed in as known@example.org") {
			t.Errorf("accepting someone else's link = %d %s", status, body)
		}
		if status, _ := newVisitor(t, srv.URL).get(other); status != 200 {
			t.Errorf("someone else's link after the refused accept = %d, want still valid", status)
		}
	})

	t.Run("not valid", func(t *testing.T) {
		if status, body := newVisitor(t, srv.URL).get("/invitations/made-up-token"); status != 404 || !strings.Contains(body, "not valid") {
			t.Errorf("made-up link = %d %s", status, body)
		}
	})
}
