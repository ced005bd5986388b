package blackbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSignInThrottleBehindProxy runs the server behind a trusted proxy
// (the test, on 127.0.0.1): failed sign-ins are counted per client named
// by X-Forwarded-For, unknown e-mails too, and a locked client gets 429
// with Retry-After and a log line, while another client is not affected.
func TestSignInThrottleBehindProxy(t *testing.T) {
	t.Parallel()
	s := startServer(t, backends[0], serverOptions{args: []string{"--trusted-proxies", "127.0.0.1/32, ::1"}})
	noRedirect := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn := func(client, email string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "POST", s.root+"/signin",
			strings.NewReader(url.Values{"email": {email}, "password": {"wrong password"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "192.0.2.99, "+client) // the left one is the client's own claim
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// Each attempt names another unknown e-mail, so only the address counts.
	for i := range 6 {
		if resp := signIn("198.51.100.1", "nobody"+string(rune('a'+i))+"@example.org"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := signIn("198.51.100.1", "someone@example.org")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("locked client = %d, Retry-After %q; want 429 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := signIn("198.51.100.2", "someone@example.org"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another client = %d, want 401", resp.StatusCode)
	}
	if log := s.stderr.String(); !strings.Contains(log, "password attempts throttled") || !strings.Contains(log, "198.51.100.1") {
		t.Errorf("no log line for the lock:\n%s", log)
	}
}
