package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/testbin"
)

// newMain builds a Main from command-line args on a fresh data directory,
// its log in the returned buffer.
func newMain(t *testing.T, args ...string) (*Main, *testbin.Buffer) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	build := config.Bind(fs, func(string) string { return "" })
	if err := fs.Parse(append([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, args...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := build()
	if err != nil {
		t.Fatal(err)
	}
	var log testbin.Buffer
	return &Main{Config: cfg, env: &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &log, now: time.Now}}, &log
}

// serve opens m and runs it until the test ends.
func serve(t *testing.T, m *Main) {
	t.Helper()
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		m.Close()
	})
}

// dbFiles counts this process's open file descriptors on the database.
func dbFiles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, path) {
			n++
		}
	}
	return n
}

// TestFailedOpenReleases makes Open fail after the database is open (the
// port is taken) and after it listens (a bad secret key, found late): the
// database files and the port must be free again.
func TestFailedOpenReleases(t *testing.T) {
	t.Parallel()
	t.Run("port in use", func(t *testing.T) {
		t.Parallel()
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		m, _ := newMain(t, "--addr", busy.Addr().String())
		if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("Open = %v, want a listen error", err)
		}
		if n := dbFiles(t, m.Config.DatabaseURL); n != 0 {
			t.Errorf("%d files of the database still open after a failed Open", n)
		}
	})
	t.Run("bad secret key", func(t *testing.T) {
		t.Parallel()
		m, _ := newMain(t, "--secret-key", "not-a-key")
		if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "secret-key") {
			t.Fatalf("Open = %v, want a secret-key error", err)
		}
		if m.Addr == "" {
			t.Fatal("Open failed before listening; the test proves nothing")
		}
		ln, err := net.Listen("tcp", m.Addr)
		if err != nil {
			t.Errorf("the port is still taken after a failed Open: %v", err)
		} else {
			ln.Close()
		}
		if n := dbFiles(t, m.Config.DatabaseURL); n != 0 {
			t.Errorf("%d files of the database still open after a failed Open", n)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close after a failed Open: %v", err)
		}
	})
}

// rawGet sends one keep-alive request on c and returns the status, 0 when
// the connection was closed without an answer.
func rawGet(c net.Conn, r *bufio.Reader, path string) (int, http.Header) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: herald.test\r\n\r\n", path)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func dialFrom(t *testing.T, from, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestServeConnectionCaps holds idle keep-alive connections from one
// address beyond its cap: that address is refused with 503, another client
// is served, and every answer says nosniff.
func TestServeConnectionCaps(t *testing.T) {
	t.Parallel()
	m, _ := newMain(t, "--max-connections-per-ip", "5", "--max-connections", "8")
	serve(t, m)
	for i := range 5 {
		c, r := dialFrom(t, "127.0.0.1", m.Addr)
		if status, _ := rawGet(c, r, "/healthz"); status != 200 {
			t.Fatalf("connection %d: status %d", i, status)
		}
	}
	for range 20 {
		c, r := dialFrom(t, "127.0.0.1", m.Addr)
		if status, _ := rawGet(c, r, "/healthz"); status != http.StatusServiceUnavailable {
			t.Fatalf("connection over the per-address cap: status %d, want 503", status)
		}
	}
	// Another client is served; every kind of answer says nosniff.
	c, r := dialFrom(t, "127.0.0.2", m.Addr)
	for _, path := range []string{"/healthz", "/api/_public/v1/me", "/api/_public/v1/openapi.json", "/signin", "/nowhere"} {
		status, h := rawGet(c, r, path)
		if status == 0 || status >= 500 {
			t.Fatalf("%s from another client: status %d", path, status)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
	}
	// The total cap: 5 + 1 open, two more fill it, the next is refused.
	for _, from := range []string{"127.0.0.3", "127.0.0.4"} {
		c, r := dialFrom(t, from, m.Addr)
		if status, _ := rawGet(c, r, "/healthz"); status != 200 {
			t.Fatalf("from %s: status %d", from, status)
		}
	}
	c, r = dialFrom(t, "127.0.0.5", m.Addr)
	if status, _ := rawGet(c, r, "/healthz"); status != http.StatusServiceUnavailable {
		t.Errorf("connection over the total cap: status %d, want 503", status)
	}
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting   int
		fileLimit uint64
		want      int
	}{
		{100, 20_000, 100},
		{0, 20_000, 15_000},
		{0, 1024, 768},
		{0, 10, 64},
		{0, 0, 10_000},
		{0, 1 << 62, 1 << 20},
	} {
		if got := maxConnections(tc.setting, tc.fileLimit); got != tc.want {
			t.Errorf("maxConnections(%d, %d) = %d, want %d", tc.setting, tc.fileLimit, got, tc.want)
		}
	}
}

// TestPublicURLDefault listens on every address: the public URL must be
// one a browser can open, and the log warns that networks cannot reach it.
func TestPublicURLDefault(t *testing.T) {
	t.Parallel()
	m, log := newMain(t, "--addr", "0.0.0.0:0")
	serve(t, m)
	_, port, _ := net.SplitHostPort(m.Addr)
	if want := "http://localhost:" + port; m.Config.PublicURL != want {
		t.Errorf("public URL = %q, want %q", m.Config.PublicURL, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "networks cannot fetch media") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the public URL in the log:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "level=WARN") {
		t.Errorf("the warning is not at WARN level:\n%s", log.String())
	}
}

func TestPublicURLWarning(t *testing.T) {
	t.Parallel()
	for url, warn := range map[string]bool{
		"http://localhost:8080":        true,
		"http://127.0.0.1:8080":        true,
		"http://[::1]:8080":            true,
		"http://0.0.0.0:8080":          true,
		"http://[::]:8080":             true,
		"http://herald.localhost":      true,
		"https://herald.example.org":   false,
		"http://192.168.1.10:8080":     false,
		"https://herald.example.org/x": false,
	} {
		if got := publicURLWarning(url) != ""; got != warn {
			t.Errorf("publicURLWarning(%q) warns: %v, want %v", url, got, warn)
		}
	}
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://localhost:8080",
		"[::]:8080":      "http://localhost:8080",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::1]:9000":     "http://[::1]:9000",
		"10.0.0.5:80":    "http://10.0.0.5:80",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := defaultPublicURL(a); got != want {
			t.Errorf("defaultPublicURL(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestVersionOf(t *testing.T) {
	t.Parallel()
	const rev = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"
	for _, tc := range []struct {
		name     string
		version  string
		settings map[string]string
		want     string
	}{
		{"from source, committed", "(devel)", map[string]string{"vcs.revision": rev, "vcs.modified": "false"}, "devel (1a2b3c4d5e6f)"},
		{"from source, changed", "(devel)", map[string]string{"vcs.revision": rev, "vcs.modified": "true"}, "devel (1a2b3c4d5e6f, modified)"},
		{"released", "v1.2.0", map[string]string{"vcs.revision": rev}, "v1.2.0 (1a2b3c4d5e6f)"},
		{"go install of a release", "v1.2.0", nil, "v1.2.0"},
		{"no VCS information", "(devel)", nil, "devel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := &debug.BuildInfo{Main: debug.Module{Version: tc.version}}
			for k, v := range tc.settings {
				info.Settings = append(info.Settings, debug.BuildSetting{Key: k, Value: v})
			}
			if got := versionOf(info); got != tc.want {
				t.Errorf("versionOf = %q, want %q", got, tc.want)
			}
		})
	}
	if code, out, _ := run(t, "version"); code != 0 || strings.Contains(out, "(devel)") {
		t.Errorf("herald version = %d %q", code, out)
	}
}

// TestHelpShowsEachDefaultOnce reads herald --help and herald serve --help:
// no setting's text names its default twice.
func TestHelpShowsEachDefaultOnce(t *testing.T) {
	t.Parallel()
	_, top, _ := run(t, "--help")
	_, _, serveHelp := run(t, "serve", "--help")
	serveLines := strings.Split(serveHelp, "\n")
	for _, s := range append(config.Settings(), networkSettings()...) {
		var line string
		for _, l := range strings.Split(top, "\n") {
			if strings.HasPrefix(l, "  --"+s.Flag+" ") {
				line = l
			}
		}
		var flagLine string
		for i, l := range serveLines {
			if (strings.HasPrefix(l, "  -"+s.Flag+" ") || l == "  -"+s.Flag) && i+1 < len(serveLines) {
				flagLine = serveLines[i+1]
			}
		}
		if line == "" || flagLine == "" {
			t.Errorf("--%s missing from the help", s.Flag)
			continue
		}
		_, def := s.Described()
		for name, text := range map[string]string{"herald --help": line, "herald serve --help": flagLine} {
			if n := strings.Count(text, "default"); n > 1 || (def != "" && n != 1) {
				t.Errorf("%s, --%s: %q names a default %d times", name, s.Flag, text, n)
			}
		}
	}
}
