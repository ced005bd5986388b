package connlimit

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// setup serves on 127.0.0.1 through a Listener with cfg; the handler marks
// requests to /auth authenticated.
func setup(t *testing.T, cfg Config) (*Listener, string) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, cfg, slog.New(slog.DiscardHandler))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/auth" {
				MarkAuthenticated(r.Context())
			}
			fmt.Fprint(w, "ok")
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	l.Configure(srv)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l, inner.Addr().String()
}

// client is one keep-alive connection from a chosen loopback address.
type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, from, addr string) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

// get sends one request and returns the status, or 0 when the connection
// was closed without an answer.
func (c *client) get(t *testing.T, path string) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: herald.test\r\n\r\n", path); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitOpen waits until the listener counts want connections in total.
func waitOpen(t *testing.T, l *Listener, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		total, _ := l.Open("")
		if total == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", total, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPerAddressCap(t *testing.T) {
	t.Parallel()
	const perAddress = 20
	l, addr := setup(t, Config{PerAddress: perAddress, Total: 1000})
	// One client holds many idle keep-alive connections, far beyond its cap.
	var held []*client
	for range perAddress {
		c := dial(t, "127.0.0.1", addr)
		if got := c.get(t, "/"); got != 200 {
			t.Fatalf("connection %d within the cap: status %d", len(held), got)
		}
		held = append(held, c)
	}
	for i := range 100 {
		if got := dial(t, "127.0.0.1", addr).get(t, "/"); got != http.StatusServiceUnavailable {
			t.Fatalf("connection %d over the cap: status %d, want 503", perAddress+i, got)
		}
	}
	if _, n := l.Open("127.0.0.1"); n != perAddress {
		t.Errorf("%d connections from 127.0.0.1 open, want %d", n, perAddress)
	}
	// Another client is still served.
	if got := dial(t, "127.0.0.2", addr).get(t, "/"); got != 200 {
		t.Errorf("another client: status %d, want 200", got)
	}
	// A closed connection frees its place.
	held[0].Close()
	waitOpen(t, l, perAddress)
	if got := dial(t, "127.0.0.1", addr).get(t, "/"); got != 200 {
		t.Errorf("after one closed: status %d, want 200", got)
	}
}

func TestTotalCap(t *testing.T) {
	t.Parallel()
	const total = 6
	l, addr := setup(t, Config{PerAddress: 4, Total: total})
	for i := range total {
		from := fmt.Sprintf("127.0.0.%d", 10+i%2)
		if got := dial(t, from, addr).get(t, "/"); got != 200 {
			t.Fatalf("connection %d: status %d", i, got)
		}
	}
	if got := dial(t, "127.0.0.12", addr).get(t, "/"); got != http.StatusServiceUnavailable {
		t.Errorf("connection over the total: status %d, want 503", got)
	}
	if n, _ := l.Open(""); n != total {
		t.Errorf("%d connections open, want %d", n, total)
	}
}

func TestUnauthenticatedIdleTimeout(t *testing.T) {
	t.Parallel()
	_, addr := setup(t, Config{UnauthenticatedIdle: 200 * time.Millisecond})
	anonymous, signedIn := dial(t, "127.0.0.1", addr), dial(t, "127.0.0.1", addr)
	if anonymous.get(t, "/") != 200 || signedIn.get(t, "/auth") != 200 {
		t.Fatal("first requests failed")
	}
	// The anonymous connection is closed once idle for 200ms...
	start := time.Now()
	anonymous.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := anonymous.r.ReadByte(); err != io.EOF {
		t.Fatalf("idle anonymous connection: read = %v, want EOF", err)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("the anonymous connection was closed after %v", waited)
	}
	// ...the authenticated one is kept for the server's IdleTimeout.
	time.Sleep(300 * time.Millisecond)
	if got := signedIn.get(t, "/"); got != 200 {
		t.Errorf("authenticated connection after idling: status %d, want 200", got)
	}
}

// TestSlowRequestOnIdleConnection checks that only the idle wait is
// shortened: a request that starts on an anonymous keep-alive connection
// gets the server's full header timeout.
func TestSlowRequestOnIdleConnection(t *testing.T) {
	t.Parallel()
	_, addr := setup(t, Config{UnauthenticatedIdle: 200 * time.Millisecond})
	c := dial(t, "127.0.0.1", addr)
	if c.get(t, "/") != 200 {
		t.Fatal("first request failed")
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\n")
	time.Sleep(500 * time.Millisecond)
	fmt.Fprint(c, "Host: herald.test\r\n\r\n")
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("slow request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("slow request: status %d, want 200", resp.StatusCode)
	}
}

// A trusted reverse proxy carries many clients: the per-address cap does
// not apply to it, the total cap still does.
func TestExemptAddress(t *testing.T) {
	t.Parallel()
	l, addr := setup(t, Config{PerAddress: 2, Total: 8, Exempt: func(a string) bool { return a == "127.0.0.3" }})
	for i := range 6 {
		if got := dial(t, "127.0.0.3", addr).get(t, "/"); got != 200 {
			t.Fatalf("proxy connection %d: status %d, want 200", i, got)
		}
	}
	for i := range 2 {
		if got := dial(t, "127.0.0.4", addr).get(t, "/"); got != 200 {
			t.Fatalf("client connection %d: status %d", i, got)
		}
	}
	if got := dial(t, "127.0.0.4", addr).get(t, "/"); got != http.StatusServiceUnavailable {
		t.Errorf("a client that is not exempt over its cap: status %d, want 503", got)
	}
	if got := dial(t, "127.0.0.3", addr).get(t, "/"); got != http.StatusServiceUnavailable {
		t.Errorf("the proxy over the total: status %d, want 503", got)
	}
	if n, _ := l.Open(""); n != 8 {
		t.Errorf("%d connections open, want 8", n)
	}
}
