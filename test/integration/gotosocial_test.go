package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/heraldhq/herald/internal/testpeer"
)

// gtsUser is a user of the shared GoToSocial server, with the account as
// the server shows it.
type gtsUser struct {
	testpeer.Account
	ID  string // the account id
	URL string // the account's web URL, http://HOST/@username
	// Privacy is the user's default post visibility (source.privacy).
	Privacy string
	// DisplayName is the account's display name (may be empty).
	DisplayName string
}

// newGTSUser makes a confirmed user with a random name on the server (with
// GoToSocial's admin CLI: a few seconds of CPU each) and returns it with its
// reader (see gtsReader).
func newGTSUser(t *testing.T, gts *testpeer.GoToSocial, prefix string) (gtsUser, *gtsClient) {
	t.Helper()
	suffix := randomSuffix(t, 8)
	a := testpeer.Account{
		Username: prefix + "_" + suffix,
		Email:    prefix + "." + suffix + "@example.org",
		Password: "Pass-" + randomSuffix(t, 16) + "-word!",
	}
	gts.CreateUser(t, a.Username, a.Email, a.Password)
	return gtsReader(t, gts, a)
}

// gtsReader returns a client with the user's own token (read scope),
// obtained through an OAuth app of the test's own, so that what Herald
// published is read back independently of Herald, and the user as the
// server shows it.
func gtsReader(t *testing.T, gts *testpeer.GoToSocial, a testpeer.Account) (gtsUser, *gtsClient) {
	t.Helper()
	c := &gtsClient{base: gts.URL(), hc: &http.Client{Timeout: requestTimeout}}
	const redirect = "http://127.0.0.1:1/reader-callback" // captured, never followed
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	c.form(t, http.MethodPost, "/api/v1/apps", url.Values{
		"client_name": {"integration-test reader"}, "redirect_uris": {redirect}, "scopes": {"read"},
	}, http.StatusOK, &app)
	state := randomSuffix(t, 16)
	code := gts.AuthorizeApp(t, app.ClientID, redirect, "read", state, "", a.Email, a.Password)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.form(t, http.MethodPost, "/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"redirect_uri": {redirect}, "code": {code},
	}, http.StatusOK, &tok)
	if tok.AccessToken == "" {
		t.Fatal("GoToSocial gave the reader no access token")
	}
	c.token = tok.AccessToken

	var me struct {
		ID          string `json:"id"`
		Username    string `json:"username"`
		URL         string `json:"url"`
		DisplayName string `json:"display_name"`
		Source      struct {
			Privacy string `json:"privacy"`
		} `json:"source"`
	}
	c.get(t, "/api/v1/accounts/verify_credentials", http.StatusOK, &me)
	if me.Username != a.Username || me.ID == "" {
		t.Fatalf("reader token is for %q (id %q), want %q", me.Username, me.ID, a.Username)
	}
	return gtsUser{Account: a, ID: me.ID, URL: me.URL, Privacy: me.Source.Privacy, DisplayName: me.DisplayName}, c
}

// gtsClient calls GoToSocial's Mastodon API with one user's token.
type gtsClient struct {
	base  string
	token string
	hc    *http.Client
}

func (c *gtsClient) get(t *testing.T, path string, wantStatus int, out any) {
	t.Helper()
	c.do(t, http.MethodGet, path, nil, "", wantStatus, out)
}

func (c *gtsClient) form(t *testing.T, method, path string, form url.Values, wantStatus int, out any) {
	t.Helper()
	c.do(t, method, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", wantStatus, out)
}

// status returns the HTTP status of GET path, for checks that expect
// something to be gone.
func (c *gtsClient) status(t *testing.T, path string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("GoToSocial GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (c *gtsClient) do(t *testing.T, method, path string, body io.Reader, contentType string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("GoToSocial %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		t.Fatalf("GoToSocial %s %s: read: %v", method, path, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("GoToSocial %s %s: status %d, want %d: %.2000s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GoToSocial %s %s: decode: %v: %.2000s", method, path, err, b)
		}
	}
}

// mastoStatus is the part of Mastodon's Status entity the tests check.
type mastoStatus struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	URI        string    `json:"uri"`
	CreatedAt  time.Time `json:"created_at"`
	Content    string    `json:"content"`
	Text       *string   `json:"text"` // the source text; GoToSocial returns it to the author
	Visibility string    `json:"visibility"`
	Sensitive  bool      `json:"sensitive"`
	Spoiler    string    `json:"spoiler_text"`
	Account    struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"account"`
	Mentions []mastoMention `json:"mentions"`
	Tags     []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"tags"`
	MediaAttachments []mastoAttachment `json:"media_attachments"`
}

type mastoMention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"`
	URL      string `json:"url"`
}

type mastoAttachment struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	URL         string  `json:"url"`
	Description *string `json:"description"`
	Meta        struct {
		Original struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"original"`
	} `json:"meta"`
}

// connectMastodon connects user's account on gts to Herald's admin
// workspace as a person does, in a browser: it opens the connection URL
// that Herald's API gives, signs in to Herald, names the server, signs in
// to GoToSocial on its real sign-in page, reads and allows the
// authorization page, and lands back on Herald's "connected" page. It
// returns the new profile's id.
func connectMastodon(t *testing.T, h *heraldServer, gts *testpeer.GoToSocial, user gtsUser) string {
	t.Helper()
	ctx := t.Context()
	info, err := h.api.ConnectionURL(ctx, h.workspace, "mastodon")
	if err != nil {
		t.Fatalf("GET /social-profiles/connection-url?provider=mastodon: %v", err)
	}
	b := newBrowser(t)

	// 1. The connection URL needs a Herald session: sign-in page first.
	p := b.open(info.AuthURL)
	p.expect(t, h.root, "/signin")
	p = b.submit(p, "/signin", map[string]string{"email": h.email, "password": h.password})

	// 2. Back on the connect page: name the server.
	p.expect(t, h.root, "/connect/mastodon")
	p = b.submit(p, "/connect/mastodon", map[string]string{"server": gts.URL()})

	// 3. Herald registered an app on the server and sent the browser to its
	//    authorize page, which wants the user signed in first.
	p.expect(t, gts.URL(), "/auth/sign_in")
	if len(p.hops) == 0 || !strings.HasPrefix(p.hops[0], gts.URL()+"/oauth/authorize?") {
		t.Fatalf("Herald did not send the browser to %s/oauth/authorize; redirects: %v", gts.URL(), p.hops)
	}
	authorize, _ := url.Parse(p.hops[0])
	q := authorize.Query()
	callback := h.root + "/connect/mastodon/callback"
	for k, want := range map[string]string{"response_type": "code", "redirect_uri": callback, "scope": "read write", "code_challenge_method": "S256"} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize URL %s=%q, want %q (%s)", k, got, want, authorize)
		}
	}
	if q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("client_id") == "" {
		t.Errorf("authorize URL lacks state, code_challenge or client_id: %s", authorize)
	}
	p = b.submit(p, "/auth/sign_in", map[string]string{"username": user.Email, "password": user.Password})

	// 4. The authorize page says who asks for what, and where it returns.
	p.expect(t, gts.URL(), "/oauth/authorize")
	text := strings.Join(strings.Fields(textOf(p.doc)), " ")
	for _, want := range []string{"Hi " + user.Username + "!", "Application Herald would like", "with scope read write", callback} {
		if !strings.Contains(text, want) {
			t.Errorf("GoToSocial's authorize page does not say %q:\n%s", want, text)
		}
	}
	p = b.submit(p, "/oauth/authorize", nil)

	// 5. GoToSocial sends the browser back to Herald with a code, and
	//    Herald says the account is connected.
	p.expect(t, h.root, "/connect/mastodon/callback")
	connected := elementByID(p.doc, "connected")
	if connected == nil {
		t.Fatalf("Herald's callback page has no id=\"connected\": %s", p)
	}
	var id string
	walk(connected, func(n *html.Node) {
		if id == "" && n.Data == "code" {
			id = strings.TrimSpace(textOf(n))
		}
	})
	if id == "" {
		t.Fatalf("the connected page names no profile id: %s", p)
	}
	return id
}

// wantMastodonName is the profile name Herald shows for a Mastodon
// account: its display name, or @user@host without one.
func wantMastodonName(gts *testpeer.GoToSocial, u gtsUser) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return fmt.Sprintf("@%s@%s", u.Username, strings.TrimPrefix(gts.URL(), "http://"))
}
