package blackbox

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// webVisitor is a browser-like client of the web app with its own cookies.
type webVisitor struct {
	t      *testing.T
	origin string
	http   *http.Client
}

func newWebVisitor(t *testing.T, link string) *webVisitor {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	return &webVisitor{t: t, origin: u.Scheme + "://" + u.Host, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get fetches a page; path may be a full URL.
func (v *webVisitor) get(path string) (int, string) {
	v.t.Helper()
	resp, err := v.http.Get(v.abs(path))
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form as a browser does from Herald's own page and
// returns the status, page and path where redirects ended.
func (v *webVisitor) post(path string, form url.Values) (int, string, string) {
	v.t.Helper()
	req, _ := http.NewRequestWithContext(v.t.Context(), "POST", v.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", v.origin)
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

func (v *webVisitor) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return v.origin + path
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// acceptAsAccount signs in on the invitation page's sign-in link and
// accepts the invitation, as the owner of an existing account does.
func acceptAsAccount(t *testing.T, link, email, password string) {
	t.Helper()
	v := newWebVisitor(t, link)
	u, _ := url.Parse(link)
	if status, body := v.get(link); status != 200 || !strings.Contains(body, `href="/signin?next=`+url.QueryEscape(u.Path)+`"`) {
		t.Fatalf("invitation page for an existing account = %d %s", status, body)
	}
	status, body, path := v.post("/signin", url.Values{"email": {email}, "password": {password}, "next": {u.Path}})
	csrf := csrfField.FindStringSubmatch(body)
	if status != 200 || path != u.Path || csrf == nil || !strings.Contains(body, `id="accept"`) {
		t.Fatalf("after signing in = %d at %s: %s", status, path, body)
	}
	if status, body, path := v.post(link, url.Values{"csrf": {csrf[1]}}); status != 200 || path != "/" {
		t.Fatalf("accept = %d at %s: %s", status, path, body)
	}
}

// join gives a workspace of the admin's a member with a role, the way
// people get one: herald init makes their account (password and API key),
// the admin invites their e-mail, and they accept on the invitation page.
func (s *server) join(t *testing.T, ws, email, role string) account {
	t.Helper()
	acct := s.initUser(t, email)
	if acct.Password == nil {
		t.Fatalf("herald init --email %s made no new account", email)
	}
	inv := check(s.admin(t).Invite(t.Context(), ws, client.InvitationInput{Email: email, Role: role}))(t)
	acceptAsAccount(t, inv.AcceptURL, email, *acct.Password)
	return acct
}
