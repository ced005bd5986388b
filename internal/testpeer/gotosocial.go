package testpeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Account is a user of a test server with the secrets to sign in as it.
type Account struct {
	Username string
	Email    string
	Password string
}

// GoToSocial is a running GoToSocial server (v0.17.3, a Mastodon-API
// server) on 127.0.0.1 with a SQLite database in a temporary directory.
// Registration is closed: users are made with CreateUser, as an admin would.
type GoToSocial struct {
	url     string
	bin     string
	config  string
	env     []string
	account Account
	proc    *process
}

// StartGoToSocial starts a GoToSocial server for this test, with one
// confirmed user (see Account), and stops it in t.Cleanup. It skips the test
// when .ci/peers has not built GoToSocial (fails under
// HERALD_REQUIRE_PEERS=1). A package with several tests should share one
// server through Peers instead: starting takes about 15 seconds.
func StartGoToSocial(t testing.TB) *GoToSocial {
	t.Helper()
	g, err := launchGoToSocial(t.TempDir())
	if err != nil {
		failStart(t, "start GoToSocial", err)
		return nil
	}
	t.Cleanup(func() {
		if err := g.stop(); err != nil {
			t.Errorf("testpeer: stop GoToSocial: %v", err)
		}
	})
	return g
}

// launchGoToSocial starts a server whose files live in dir. The caller stops
// it with stop and removes dir afterwards.
func launchGoToSocial(dir string) (*GoToSocial, error) {
	peers, err := peersDir()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(peers, "gotosocial")
	bin := filepath.Join(home, "gotosocial")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no GoToSocial binary at %s: %w", bin, errNotInstalled)
	}
	web := filepath.Join(home, "web")
	for _, sub := range []string{"template", "assets"} {
		if _, err := os.Stat(filepath.Join(web, sub)); err != nil {
			return nil, fmt.Errorf("no GoToSocial web files at %s: %w", web, errNotInstalled)
		}
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	hostport := "127.0.0.1:" + strconv.Itoa(port)
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(goToSocialConfig(dir, web, hostport, port)), 0o600); err != nil {
		return nil, fmt.Errorf("write GoToSocial config: %w", err)
	}

	g := &GoToSocial{
		url:    "http://" + hostport,
		bin:    bin,
		config: config,
		// Compiling GoToSocial's embedded ffmpeg (WebAssembly) is most of
		// its start-up time; wazero caches the result across runs here.
		env: append(os.Environ(), "GTS_WAZERO_COMPILATION_CACHE="+filepath.Join(home, "wazero-cache")),
		account: Account{
			Username: "herald",
			Email:    "herald@example.org",
			Password: "Herald-test-" + randomHex(12),
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	// The admin CLI writes to the database before the server opens it, as
	// GoToSocial's own docs set up a first user.
	if err := g.createUser(ctx, g.account); err != nil {
		return nil, err
	}

	cmd := exec.Command(bin, "--config-path", config, "server", "start")
	cmd.Env = g.env
	cmd.Dir = dir
	proc, err := startProcess("GoToSocial", cmd, filepath.Join(dir, "gotosocial.log"))
	if err != nil {
		return nil, err
	}
	g.proc = proc
	if err := g.waitReady(ctx); err != nil {
		stopErr := proc.stop()
		return nil, errors.Join(fmt.Errorf("%w\nlog %s:\n%s", err, proc.logPath, proc.logTail()), stopErr)
	}
	return g, nil
}

// goToSocialConfig is the server's YAML configuration. Rate limiting and
// throttling are off: every test request comes from 127.0.0.1 and the
// default limit (300 requests in 5 minutes per address) would fail a busy
// test run with 429s that say nothing about Herald.
func goToSocialConfig(dir, web, hostport string, port int) string {
	q := strconv.Quote
	lines := []string{
		"host: " + q(hostport),
		`protocol: "http"`,
		`bind-address: "127.0.0.1"`,
		"port: " + strconv.Itoa(port),
		`db-type: "sqlite"`,
		"db-address: " + q(filepath.Join(dir, "sqlite.db")),
		`storage-backend: "local"`,
		"storage-local-base-path: " + q(filepath.Join(dir, "storage")),
		"web-template-base-dir: " + q(filepath.Join(web, "template")+"/"),
		"web-asset-base-dir: " + q(filepath.Join(web, "assets")+"/"),
		`letsencrypt-enabled: false`,
		`accounts-registration-open: false`,
		`instance-inject-mastodon-version: true`,
		`advanced-rate-limit-requests: 0`,
		`advanced-throttling-multiplier: 0`,
		`log-level: "info"`,
		`log-client-ip: false`,
	}
	return strings.Join(lines, "\n") + "\n"
}

// waitReady polls the instance endpoint until the server answers, the
// process exits or ctx ends.
func (g *GoToSocial) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if done, err := g.proc.exited(); done {
			return fmt.Errorf("GoToSocial exited before it was ready: %v", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/api/v1/instance", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = readBody(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GoToSocial not ready at %s: %w", g.url, ctx.Err())
		case <-tick.C:
		}
	}
}

func (g *GoToSocial) stop() error { return g.proc.stop() }

// URL is the server's base URL, http://127.0.0.1:PORT, which is also the
// host name the server believes it has.
func (g *GoToSocial) URL() string { return g.url }

// Account is the confirmed user made when the server started.
func (g *GoToSocial) Account() Account { return g.account }

// LogPath is the file that receives the server's output, for a test that
// wants to show it when it fails.
func (g *GoToSocial) LogPath() string { return g.proc.logPath }

// CreateUser makes a confirmed user with GoToSocial's admin CLI, as an admin
// of a closed instance would. It works while the server runs (they share
// the SQLite database). Passwords must pass GoToSocial's strength check.
func (g *GoToSocial) CreateUser(t testing.TB, username, email, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := g.createUser(ctx, Account{Username: username, Email: email, Password: password}); err != nil {
		t.Fatalf("testpeer: %v", err)
	}
}

func (g *GoToSocial) createUser(ctx context.Context, a Account) error {
	base := []string{"--config-path", g.config, "admin", "account"}
	create := append(append([]string{}, base...), "create", "--username", a.Username, "--email", a.Email, "--password", a.Password)
	if err := runCommand(ctx, g.bin, create, g.env); err != nil {
		return fmt.Errorf("create GoToSocial user %s: %w", a.Username, err)
	}
	confirm := append(append([]string{}, base...), "confirm", "--username", a.Username)
	if err := runCommand(ctx, g.bin, confirm, g.env); err != nil {
		return fmt.Errorf("confirm GoToSocial user %s: %w", a.Username, err)
	}
	return nil
}

// AuthorizeApp signs in and approves an OAuth app the way a person does in a
// browser, and returns the authorization code that the server sends to
// redirectURI. It drives GoToSocial's real pages: GET /oauth/authorize
// (redirected to the sign-in page), POST /auth/sign_in with the e-mail
// address and password, the authorize page, and POST /oauth/authorize,
// whose redirect is captured, not followed. codeChallenge, when not empty,
// is sent as an S256 PKCE challenge; state must come back unchanged.
//
// clientID comes from POST /api/v1/apps; redirectURI must be one of the
// app's redirect URIs and not the out-of-band URN.
func (g *GoToSocial) AuthorizeApp(t testing.TB, clientID, redirectURI, scopes, state, codeChallenge, email, password string) (code string) {
	t.Helper()
	code, err := g.authorizeApp(clientID, redirectURI, scopes, state, codeChallenge, email, password)
	if err != nil {
		t.Fatalf("testpeer: authorize app on GoToSocial: %v", err)
	}
	return code
}

func (g *GoToSocial) authorizeApp(clientID, redirectURI, scopes, state, codeChallenge, email, password string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	browser := &http.Client{
		Jar:     jar,
		Timeout: requestTimeout,
		// Each redirect is checked by hand, and the last one must not be
		// followed: it goes to the app, which is not running.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	q := url.Values{
		"client_id":     {clientID},
		"redirect_uri":  {redirectURI},
		"response_type": {"code"},
		"scope":         {scopes},
		"state":         {state},
	}
	if codeChallenge != "" {
		q.Set("code_challenge", codeChallenge)
		q.Set("code_challenge_method", "S256")
	}

	// 1. The app sends the browser to the authorize page; not signed in
	//    yet, the server sends it on to the sign-in page.
	loc, err := g.browse(browser, http.MethodGet, "/oauth/authorize?"+q.Encode(), nil, http.StatusSeeOther)
	if err != nil {
		return "", fmt.Errorf("open authorize page: %w", err)
	}
	if loc.Path != "/auth/sign_in" {
		return "", fmt.Errorf("open authorize page: redirected to %s, want /auth/sign_in", loc)
	}
	// 2. The sign-in page and its form.
	if _, err := g.browse(browser, http.MethodGet, "/auth/sign_in", nil, http.StatusOK); err != nil {
		return "", fmt.Errorf("open sign-in page: %w", err)
	}
	// 3. Sign in: the form's "username" field takes the e-mail address.
	form := url.Values{"username": {email}, "password": {password}}
	loc, err = g.browse(browser, http.MethodPost, "/auth/sign_in", form, http.StatusFound)
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", email, err)
	}
	if loc.Path != "/oauth/authorize" {
		return "", fmt.Errorf("sign in as %s: redirected to %s, want /oauth/authorize", email, loc)
	}
	// 4. The authorize page asks the user to allow the app.
	if _, err := g.browse(browser, http.MethodGet, "/oauth/authorize", nil, http.StatusOK); err != nil {
		return "", fmt.Errorf("open authorize page after sign-in: %w", err)
	}
	// 5. Allow: the server redirects to the app with the code.
	loc, err = g.browse(browser, http.MethodPost, "/oauth/authorize", url.Values{}, http.StatusFound)
	if err != nil {
		return "", fmt.Errorf("allow app: %w", err)
	}
	want, err := url.Parse(redirectURI)
	if err != nil {
		return "", fmt.Errorf("parse redirect URI: %w", err)
	}
	if loc.Scheme != want.Scheme || loc.Host != want.Host || loc.Path != want.Path {
		return "", fmt.Errorf("allow app: redirected to %s, want %s", loc, redirectURI)
	}
	got := loc.Query()
	if got.Get("state") != state {
		return "", fmt.Errorf("allow app: redirect carries state %q, want %q", got.Get("state"), state)
	}
	code := got.Get("code")
	if code == "" {
		return "", fmt.Errorf("allow app: redirect %s carries no code", loc)
	}
	return code, nil
}

// browse makes one request as a browser would (HTML wanted, form posted)
// and checks its status. For a redirect it returns the Location resolved
// against the server's URL.
func (g *GoToSocial) browse(client *http.Client, method, path string, form url.Values, wantStatus int) (*url.URL, error) {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	page, err := readBody(resp)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != wantStatus {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, tail(page, 2000))
	}
	if wantStatus < 300 || wantStatus >= 400 {
		return nil, nil
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return loc, nil
}

// randomHex returns n random bytes in hex, for passwords and secrets.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
