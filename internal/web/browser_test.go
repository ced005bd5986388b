package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/web"
)

// browser starts headless Chromium, or skips the test when it is not
// installed (CI sets HERALD_REQUIRE_BROWSER=1 and installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed; run .ci/run or apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// server runs the web app on a real socket with a fresh database and
// returns its URL and the first user's credentials.
func server(t *testing.T) (string, *app.InitResult) {
	t.Helper()
	s := sqlitetest.Open(t)
	srv := httptest.NewUnstartedServer(nil)
	a := apptest.New(t, app.ServicesConfig{Store: s, Config: app.Config{PublicURL: "http://" + srv.Listener.Addr().String()}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Config.Handler = web.NewHandler(a, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.Start()
	t.Cleanup(srv.Close)
	res, err := a.Init(context.Background(), app.InitParams{Email: "ada@example.org", Name: "Ada", Workspace: "Analytical"})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, res
}

// text returns an element's text, failing the test on error.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func TestSignInAndOutInChromium(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	base, creds := server(t)

	// An anonymous visit goes to the sign-in page, which keeps where to return.
	do(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible("#email"))
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/signin?next=%2F") {
		t.Errorf("location = %q, want the sign-in page", loc)
	}
	// A wrong password says so and signs nobody in.
	do(t, ctx,
		chromedp.SendKeys("#email", creds.Email),
		chromedp.SendKeys("#password", "wrong password"),
		chromedp.Click("#signin"),
		chromedp.WaitVisible(".error"))
	if got := text(t, ctx, ".error"); got != "Wrong e-mail or password." {
		t.Errorf("error = %q", got)
	}
	// The right one lands on the home page with the workspace; the session
	// cookie is invisible to scripts.
	do(t, ctx,
		chromedp.SendKeys("#password", creds.Password),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("#signout"))
	if got := text(t, ctx, "h1"); got != "Welcome, Ada" {
		t.Errorf("heading = %q", got)
	}
	cookies, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cookies, web.SessionCookie) {
		t.Errorf("the session cookie is readable by scripts: %q", cookies)
	}
	if body := text(t, ctx, "main"); !strings.Contains(body, "Analytical") || !strings.Contains(body, creds.WorkspaceID) {
		t.Errorf("home page lacks the workspace: %q", body)
	}

	// A form on another site that posts to sign-out is refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/signout"><input name="csrf" value="guess"></form><script>document.getElementById("f").submit()</script>`, base)
	}))
	defer evil.Close()
	do(t, ctx, chromedp.Navigate(evil.URL), chromedp.WaitVisible(".error"))
	if got := text(t, ctx, ".error"); !strings.Contains(got, "another site") {
		t.Errorf("cross-site sign-out answer = %q", got)
	}
	// Still signed in: the home page shows; then sign out for real.
	do(t, ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#signout"),
		chromedp.Click("#signout"),
		chromedp.WaitVisible("#email"),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#email"))
	if loc := location(t, ctx); !strings.Contains(loc, "/signin") {
		t.Errorf("after sign-out, / leads to %q", loc)
	}
}

// TestSignInStaysOnHeraldInChromium signs in with a next parameter that a
// browser reads as another site (a tab is dropped, leaving "//host"): the
// browser must stay on Herald.
func TestSignInStaysOnHeraldInChromium(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	base, creds := server(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><h1 id="phish">Phished</h1>`)
	}))
	defer evil.Close()
	next := "/\t/" + strings.TrimPrefix(evil.URL, "http://") + "/phish"
	do(t, ctx,
		chromedp.Navigate(base+"/signin?next="+url.QueryEscape(next)),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", creds.Email),
		chromedp.SendKeys("#password", creds.Password),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("#signout, #phish"))
	if loc := location(t, ctx); !strings.HasPrefix(loc, base+"/") {
		t.Errorf("after sign-in the browser is at %q, want a page of %s", loc, base)
	}
}
