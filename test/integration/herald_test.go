package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/testbin"
)

const (
	// requestTimeout bounds every HTTP request a test makes.
	requestTimeout = 30 * time.Second
	// startTimeout bounds Herald's start (migrations, first user).
	startTimeout = time.Minute
	// stopTimeout is how long Herald gets to shut down gracefully.
	stopTimeout = 30 * time.Second
	// logTail is how much of a server's log a failed test shows.
	logTail = 12 << 10
)

// heraldServer is a running Herald: the real `herald serve` command line,
// run in this process so the race detector watches it too.
type heraldServer struct {
	// root is http://127.0.0.1:PORT, also Herald's public URL.
	root string
	// email and password sign in to the web app; apiKey and workspace are
	// the admin's, printed on the first start.
	email, password, apiKey, workspace string
	api                                *client.Client
	log                                *testbin.Buffer
}

var (
	listeningRe = regexp.MustCompile(`^Herald is listening on (http://\S+) `)
	signInRe    = regexp.MustCompile(`^  Web sign-in:\s+(\S+) / (\S+)$`)
	apiKeyRe    = regexp.MustCompile(`^  API key:\s+(\S+)$`)
	workspaceRe = regexp.MustCompile(`^  Workspace id:\s+(\S+)$`)
)

// startHerald starts `herald serve` on a free loopback port with a new
// SQLite database, private networks allowed (the servers are on loopback),
// and extra flags. It stops Herald when the test ends and fails the test
// unless Herald shut down cleanly and logged no error; when the test has
// failed, Herald's log is shown.
func startHerald(t *testing.T, extra ...string) *heraldServer {
	t.Helper()
	dataDir := t.TempDir()
	args := append([]string{"serve",
		"--addr", "127.0.0.1:0",
		"--data-dir", dataDir,
		// "=true": a boolean flag takes no separate value.
		"--allow-private-networks=true",
		// Polling GET /post would meet the default 60 requests a minute.
		"--rate-limit", "1000000",
	}, extra...)
	// Settings come from the flags only: a developer's HERALD_ variables
	// must not leak into the server under test.
	getenv := func(k string) string {
		if strings.HasPrefix(k, "HERALD_") {
			return ""
		}
		return os.Getenv(k)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stdout, stdoutW := io.Pipe()
	h := &heraldServer{log: &testbin.Buffer{}}
	exited := make(chan int, 1)
	go func() {
		code := cli.Run(ctx, args, getenv, strings.NewReader(""), stdoutW, h.log)
		stdoutW.Close()
		exited <- code
	}()

	var printed []string
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	for h.root == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				cancel()
				t.Fatalf("herald serve ended before listening (exit %d); stdout:\n%s\nlog:\n%s", <-exited, strings.Join(printed, "\n"), h.log.Tail(logTail))
			}
			printed = append(printed, line)
			if m := signInRe.FindStringSubmatch(line); m != nil {
				h.email, h.password = m[1], m[2]
			}
			if m := apiKeyRe.FindStringSubmatch(line); m != nil {
				h.apiKey = m[1]
			}
			if m := workspaceRe.FindStringSubmatch(line); m != nil {
				h.workspace = m[1]
			}
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				h.root = m[1]
			}
		case <-timeout.C:
			cancel()
			t.Fatalf("herald serve did not listen within %s; stdout:\n%s\nlog:\n%s", startTimeout, strings.Join(printed, "\n"), h.log.Tail(logTail))
		}
	}
	go func() { // the rest of stdout, so Herald never blocks writing it
		for range lines {
		}
	}()

	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("herald serve exited with %d after the test; want 0 (a clean shutdown)", code)
			}
		case <-time.After(stopTimeout):
			t.Errorf("herald serve did not stop within %s", stopTimeout)
		}
		var errs []string
		for _, l := range strings.Split(h.log.String(), "\n") {
			if strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
				errs = append(errs, l)
			}
		}
		if len(errs) > 0 {
			t.Errorf("herald serve logged errors:\n%s", strings.Join(errs, "\n"))
		}
		if t.Failed() {
			t.Logf("Herald's log (end):\n%s", h.log.Tail(logTail))
		}
	})

	if h.email == "" || h.password == "" || h.apiKey == "" || h.workspace == "" {
		t.Fatalf("herald serve did not print the first user's credentials; stdout:\n%s", strings.Join(printed, "\n"))
	}
	h.api = client.New(h.root, h.apiKey, &http.Client{Timeout: requestTimeout})
	return h
}

// showLogOnFailure shows the end of a server's log file if the test fails.
func showLogOnFailure(t *testing.T, name, path string) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Logf("%s log %s: %v", name, path, err)
			return
		}
		if len(b) > logTail {
			b = b[len(b)-logTail:]
		}
		t.Logf("%s log %s (end):\n%s", name, path, bytes.TrimSpace(b))
	})
}

// randomSuffix returns a short random hex string for user names and
// handles, so tests sharing a server never collide.
func randomSuffix(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// apiStatus returns the HTTP status of an API error, or 0.
func apiStatus(err error) int {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// describeTargets summarises a post's targets for failure messages.
func describeTargets(g *client.PostGroup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "post %s status %s", g.ID, g.Status)
	for _, tg := range g.SocialProfiles {
		fmt.Fprintf(&b, "\n  %s %s: state %s, attempts %d", tg.SocialProfile.Provider, tg.SocialProfile.ID, tg.State, tg.Attempts)
		if tg.ErrorCode != nil || tg.ErrorMessage != nil {
			fmt.Fprintf(&b, ", error %s: %s", deref(tg.ErrorCode), deref(tg.ErrorMessage))
		}
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
