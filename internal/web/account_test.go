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
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/web"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// setup serves the web app with a fake clock and returns its URL, the
// clock and the first user's credentials.
func setup(t *testing.T) (string, *clock, *app.InitResult) {
	t.Helper()
	s := sqlitetest.Open(t)
	c := &clock{now: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://herald.test"}, Now: c.Now, Log: log})
	srv := httptest.NewServer(web.NewHandler(a, log))
	t.Cleanup(srv.Close)
	res, err := a.Init(context.Background(), app.InitParams{Email: "ada@example.org", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, c, res
}

// browserless is a client with its own cookies that does not follow
// redirects.
func browserless(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func post(t *testing.T, c *http.Client, target string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, target string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func signIn(t *testing.T, c *http.Client, base, email, password string) *http.Response {
	t.Helper()
	resp, _ := post(t, c, base+"/signin", url.Values{"email": {email}, "password": {password}})
	return resp
}

func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	base, clk, creds := setup(t)
	c := browserless(t)
	// A few failures are answered as such; then each locks the account and
	// the address for longer, and attempts meanwhile get 429.
	for i := range 6 {
		if resp := signIn(t, c, base, creds.Email, "wrong password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, body := post(t, c, base+"/signin", url.Values{"email": {creds.Email}, "password": {creds.Password}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" ||
		!strings.Contains(body, "Too many sign-in attempts; try again in 1 second.") {
		t.Fatalf("while locked = %d, Retry-After %q, body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// An unknown e-mail from the same address is refused too.
	if resp := signIn(t, c, base, "nobody@example.org", "wrong password"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("unknown e-mail from a locked address = %d, want 429", resp.StatusCode)
	}
	clk.Add(time.Second)
	if resp := signIn(t, c, base, creds.Email, creds.Password); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the lock = %d, want 303", resp.StatusCode)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestChangePasswordPage(t *testing.T) {
	t.Parallel()
	base, _, creds := setup(t)
	here, other := browserless(t), browserless(t)
	signIn(t, here, base, creds.Email, creds.Password)
	signIn(t, other, base, creds.Email, creds.Password)

	resp, page := get(t, here, base+"/account")
	m := csrfField.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, `name="current"`) {
		t.Fatalf("account page = %d: %s", resp.StatusCode, page)
	}
	csrf := m[1]
	const next = "correct horse battery staple"
	for _, tc := range []struct {
		name string
		form url.Values
		want int
		text string
	}{
		{"no CSRF token", url.Values{"current": {creds.Password}, "new": {next}, "confirm": {next}}, http.StatusForbidden, "stale"},
		{"wrong current", url.Values{"csrf": {csrf}, "current": {"wrong password"}, "new": {next}, "confirm": {next}}, http.StatusBadRequest, "Current password is wrong."},
		{"too short", url.Values{"csrf": {csrf}, "current": {creds.Password}, "new": {"short"}, "confirm": {"short"}}, http.StatusBadRequest, "New password must be at least 12 characters."},
		{"not confirmed", url.Values{"csrf": {csrf}, "current": {creds.Password}, "new": {next}, "confirm": {"something else"}}, http.StatusBadRequest, "Confirmation does not match the new password."},
	} {
		resp, body := post(t, here, base+"/account/password", tc.form)
		if resp.StatusCode != tc.want || !strings.Contains(body, tc.text) {
			t.Errorf("%s = %d, want %d with %q: %s", tc.name, resp.StatusCode, tc.want, tc.text, body)
		}
	}
	resp, _ = post(t, here, base+"/account/password", url.Values{"csrf": {csrf}, "current": {creds.Password}, "new": {next}, "confirm": {next}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account?changed=password" {
		t.Fatalf("change = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := get(t, here, base+"/account?changed=password"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your password was changed") {
		t.Errorf("this session after the change = %d: %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, other, base+"/account"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("the other session after the change = %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := signIn(t, browserless(t), base, creds.Email, creds.Password); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password = %d, want 401", resp.StatusCode)
	}
	if resp := signIn(t, browserless(t), base, creds.Email, next); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new password = %d, want 303", resp.StatusCode)
	}
}
