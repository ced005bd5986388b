package blackbox

import (
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// TestRateLimit runs a server with --rate-limit 5: every answer carries the
// X-RateLimit-* headers, errors included, and the sixth request of a window
// is a 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		const limit = 5
		s := startServer(t, b, serverOptions{rateLimit: limit})
		type req struct{ method, path, body string }
		sequences := map[string][]req{
			"successes": {{"GET", "/me", ""}, {"GET", "/workspaces", ""}, {"GET", "/me", ""}, {"GET", "/api-keys", ""}, {"GET", "/me", ""}},
			"errors": {{"GET", "/brand-kits", ""}, {"POST", "/workspaces", "{"}, {"PATCH", "/post/cxxxxxxxxxxxxxxxxxxxxxxxx", "{"}, {"GET", "/post/cxxxxxxxxxxxxxxxxxxxxxxxx", ""},
				{"POST", "/post?workspaceId=cxxxxxxxxxxxxxxxxxxxxxxxx", `{"caption":"x"}`}},
		}
		for name, seq := range sequences {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				// A fixed window may end between two requests; then the
				// sequence is tried again with a fresh key.
				for attempt := 0; ; attempt++ {
					key := s.initUser(t, "limit-"+name+"-"+strconv.Itoa(attempt)+"-"+b.name+"@example.com").APIKey
					if rateLimitSequence(t, s, key, seq[0].method, seq[0].path, func(i int) (string, string, string) {
						return seq[i].method, seq[i].path, seq[i].body
					}, limit) || attempt == 2 {
						break
					}
				}
			})
		}
		t.Run("without a key", func(t *testing.T) {
			t.Parallel()
			// Requests without a (valid) key are counted per address.
			for attempt := 0; attempt < 3; attempt++ {
				if rateLimitSequence(t, s, "", "GET", "/me", func(i int) (string, string, string) { return "GET", "/me", "" }, limit) {
					break
				}
			}
		})
		t.Run("keys are counted apart", func(t *testing.T) {
			t.Parallel()
			k1 := s.initUser(t, "apart1-"+b.name+"@example.com").APIKey
			k2 := s.initUser(t, "apart2-"+b.name+"@example.com").APIKey
			a1 := s.raw(t, "GET", "/me", k1, "")
			a2 := s.raw(t, "GET", "/me", k2, "")
			if a1.header.Get("X-RateLimit-Reset") == a2.header.Get("X-RateLimit-Reset") &&
				(a1.header.Get("X-RateLimit-Remaining") != strconv.Itoa(limit-1) || a2.header.Get("X-RateLimit-Remaining") != strconv.Itoa(limit-1)) {
				t.Errorf("first requests of two keys: remaining %s and %s, want %d each",
					a1.header.Get("X-RateLimit-Remaining"), a2.header.Get("X-RateLimit-Remaining"), limit-1)
			}
		})
		t.Run("client sees 429", func(t *testing.T) {
			t.Parallel()
			c := s.client(t, s.initUser(t, "client429-"+b.name+"@example.com").APIKey)
			var err error
			for i := 0; i <= limit && err == nil; i++ {
				_, err = c.Me(t.Context())
			}
			if ae := wantAPIError(t, err, http.StatusTooManyRequests, "You've exceeded the request limit."); ae != nil && ae.Header.Get("Retry-After") == "" {
				t.Error("the client's APIError lacks Retry-After")
			}
		})
	})
}

// rateLimitSequence sends limit requests then one more with key, checking
// the headers of each. It returns false when the window changed under it
// (the caller tries again).
func rateLimitSequence(t *testing.T, s *server, key, m0, p0 string, nth func(int) (method, path, body string), limit int) bool {
	t.Helper()
	// The server counts in windows aligned to the minute: start well inside
	// one, so that the sequence (a fraction of a second) stays in it.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 3*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	var reset string
	for i := 0; i <= limit; i++ {
		method, path, body := m0, p0, ""
		if i < limit {
			method, path, body = nth(i)
		}
		a := s.raw(t, method, path, key, body)
		if i == 0 {
			reset = a.header.Get("X-RateLimit-Reset")
		} else if a.header.Get("X-RateLimit-Reset") != reset {
			return false // a new window began
		}
		if got := a.header.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
			t.Errorf("request %d: X-RateLimit-Limit = %q, want %d", i, got, limit)
		}
		wantRemaining := max(limit-i-1, 0)
		if got := a.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(wantRemaining) {
			t.Errorf("request %d (%s %s → %d): X-RateLimit-Remaining = %q, want %d", i, method, path, a.status, got, wantRemaining)
		}
		r, err := strconv.ParseInt(reset, 10, 64)
		if now := time.Now().Unix(); err != nil || r < now || r > now+61 {
			t.Errorf("request %d: X-RateLimit-Reset = %q, want Unix seconds within the next minute (now %d)", i, reset, now)
		}
		if i < limit {
			if a.status == http.StatusTooManyRequests {
				t.Errorf("request %d of %d was refused: %s", i+1, limit, a.body)
			}
			continue
		}
		if a.status != http.StatusTooManyRequests || strings.TrimSpace(string(a.body)) != `{"message":"You've exceeded the request limit."}` {
			t.Errorf("request %d: %d %s, want 429 {\"message\":\"You've exceeded the request limit.\"}", i+1, a.status, a.body)
		}
		ra, err := strconv.Atoi(a.header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Errorf("429 Retry-After = %q, want 1 to 60 seconds", a.header.Get("Retry-After"))
		}
	}
	return true
}

// TestRestart stops a server and starts another on the same storage: the
// first start printed credentials; the second prints none, and keys and
// posts are still there.
func TestRestart(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s1 := startServer(t, b, serverOptions{})
		out := strings.Join(s1.stdout, "\n")
		if !strings.Contains(out, "Web sign-in:  admin@herald.local / ") || s1.adminKey == "" {
			t.Errorf("first start printed:\n%s\nwant the admin's sign-in, API key and workspace", out)
		}
		p := check(s1.admin(t).CreatePost(t.Context(), s1.adminWorkspace, client.PostInput{Caption: "survives"}))(t)
		u := s1.initUser(t, "restart-"+b.name+"@example.com")
		s1.stop(t)

		s2 := startServer(t, b, serverOptions{dataDir: s1.dataDir, dbURL: s1.dbURL})
		if s2.adminKey != "" || strings.Contains(strings.Join(s2.stdout, "\n"), "API key") {
			t.Errorf("second start printed credentials again:\n%s", strings.Join(s2.stdout, "\n"))
		}
		if g := check(s2.client(t, s1.adminKey).GetPost(t.Context(), p.ID))(t); g.Posts[0].Caption != "survives" {
			t.Errorf("after restart the post is %+v", g)
		}
		if me := check(s2.client(t, u.APIKey).Me(t.Context()))(t); me.ID != u.UserID {
			t.Errorf("after restart Me = %+v, want %s", me, u.UserID)
		}
	})
}

// TestCLI checks that every setting of serve is explained by --help with
// its flag and environment variable, as the issue asks.
func TestCLI(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(heraldBin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("herald --help: %v\n%s", err, out)
	}
	for _, s := range []string{"serve", "init", "migrate", "--addr", "HERALD_ADDR", "--data-dir", "HERALD_DATA_DIR",
		"--database-url", "HERALD_DATABASE_URL", "--public-url", "HERALD_PUBLIC_URL", "--rate-limit", "HERALD_RATE_LIMIT"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("herald --help does not mention %s:\n%s", s, out)
		}
	}
	out, err = exec.Command(heraldBin, "serve", "--rate-limit", "zero").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "rate-limit") {
		t.Errorf("serve --rate-limit zero: exit %d %s, want 2 naming rate-limit", code, out)
	}
	out, err = exec.Command(heraldBin, "frobnicate").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "frobnicate") {
		t.Errorf("herald frobnicate: exit %d %s, want 2 naming the command", code, out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// TestGracefulShutdown sends SIGTERM while a request is being uploaded:
// the server stops listening at once, finishes that request, and exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		reading := make(chan struct{})
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{Got100Continue: func() { close(reading) }})
		pr, pw := io.Pipe()
		req, err := http.NewRequestWithContext(ctx, "POST", s.api+"/post?workspaceId="+s.adminWorkspace, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", s.adminKey)
		req.Header.Set("Content-Type", "application/json")
		// With Expect: 100-continue the body waits until the handler reads
		// it: Got100Continue says the request is in the server's hands.
		req.Header.Set("Expect", "100-continue")
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := (&http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}).Do(req)
			done <- result{resp, err}
		}()
		go pw.Write([]byte(`{"caption":"in flight`))
		select {
		case <-reading:
		case r := <-done:
			t.Fatalf("the request ended before its body was read: %v", r.err)
		case <-time.After(30 * time.Second):
			t.Fatal("the server did not start reading the body within 30s")
		}

		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The listener closes: new connections are refused.
		addr := strings.TrimPrefix(s.root, "http://")
		deadline := time.Now().Add(30 * time.Second)
		for {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				break
			}
			conn.Close()
			if time.Now().After(deadline) {
				t.Fatal("the server still accepts connections 30s after SIGTERM")
			}
			time.Sleep(20 * time.Millisecond) // polling the port; nothing else tells
		}
		// The request in flight still completes.
		pw.Write([]byte(`"}`))
		pw.Close()
		r := <-done
		if r.err != nil {
			t.Fatalf("the request in flight failed: %v", r.err)
		}
		defer r.resp.Body.Close()
		body, _ := io.ReadAll(r.resp.Body)
		if r.resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), "postGroupId") {
			t.Errorf("the request in flight answered %d %s, want 201", r.resp.StatusCode, body)
		}
		s.stop(t) // checks the exit status is 0
	})
}
