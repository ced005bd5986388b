// Package connlimit bounds the connections an HTTP server holds, so that one
// client cannot take every file descriptor: a net.Listener that caps open
// connections per client address and in total, and a shorter idle timeout
// for keep-alive connections that have not made an authenticated request.
//
// Over a cap, a new connection gets a short 503 answer and is closed at
// once. Idle connections are kept for the server's IdleTimeout only once a
// request on them was authenticated (MarkAuthenticated); until then
// UnauthenticatedIdle bounds them. The shorter timeout is applied by the
// connection itself: net/http sets the idle read deadline right after the
// connection turns idle (ConnState), and the connection shortens that one
// deadline when no request on it was authenticated. A new connection that
// sends nothing is bounded by the server's ReadHeaderTimeout.
package connlimit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets the caps; zero means no cap.
type Config struct {
	// PerAddress is the most open connections from one client IP address.
	PerAddress int
	// Total is the most open connections in all.
	Total int
	// UnauthenticatedIdle is how long a keep-alive connection that has not
	// made an authenticated request may stay idle.
	UnauthenticatedIdle time.Duration
	// Exempt, if set, names addresses that PerAddress does not cap: the
	// trusted reverse proxies, whose connections carry many clients.
	Exempt func(addr string) bool
}

// Listener caps the connections its inner listener accepts.
type Listener struct {
	net.Listener
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	total    int
	byAddr   map[string]int
	rejected int
}

// NewListener wraps inner with the caps of cfg.
func NewListener(inner net.Listener, cfg Config, log *slog.Logger) *Listener {
	return &Listener{Listener: inner, cfg: cfg, log: log, byAddr: map[string]int{}}
}

// tooMany is the answer to a connection over a cap: short, and sent before
// the client's request is read, so it costs nothing to write.
const tooMany = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n" +
	"Retry-After: 10\r\nConnection: close\r\nContent-Length: 46\r\n\r\n" +
	`{"message":"Too many connections; try later."}` + "\n"

// Accept returns the next connection within the caps; connections over a
// cap are answered 503, closed and not returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(c.RemoteAddr())
		l.mu.Lock()
		over := (l.cfg.Total > 0 && l.total >= l.cfg.Total) ||
			(l.cfg.PerAddress > 0 && l.byAddr[addr] >= l.cfg.PerAddress && (l.cfg.Exempt == nil || !l.cfg.Exempt(addr)))
		if over {
			l.rejected++
			n, total := l.rejected, l.total
			l.mu.Unlock()
			// The first refusal and then one in a thousand are logged, so
			// that a flood does not flood the log.
			if n%1000 == 1 {
				l.log.Warn("connection refused: too many connections", "client", addr, "open", total, "refused", n)
			}
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write([]byte(tooMany))
			c.Close()
			continue
		}
		l.total++
		l.byAddr[addr]++
		l.mu.Unlock()
		return &conn{Conn: c, l: l, addr: addr, idleLimit: l.cfg.UnauthenticatedIdle}, nil
	}
}

// Open returns the number of open connections, in total and from addr.
func (l *Listener) Open(addr string) (total, fromAddr int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.byAddr[addr]
}

func (l *Listener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// Configure sets the server's ConnState and ConnContext hooks that the
// idle timeout needs, keeping hooks already set.
func (l *Listener) Configure(s *http.Server) {
	prevState, prevContext := s.ConnState, s.ConnContext
	s.ConnState = func(c net.Conn, st http.ConnState) {
		if cc, ok := c.(*conn); ok {
			cc.idle.Store(st == http.StateIdle)
		}
		if prevState != nil {
			prevState(c, st)
		}
	}
	s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevContext != nil {
			ctx = prevContext(ctx, c)
		}
		if cc, ok := c.(*conn); ok {
			ctx = context.WithValue(ctx, connKey{}, cc)
		}
		return ctx
	}
}

type connKey struct{}

// MarkAuthenticated records that the connection serving ctx's request made
// an authenticated request (a valid API key or session): from then on it
// may stay idle for the server's full IdleTimeout. It does nothing outside
// a Listener's connection.
func MarkAuthenticated(ctx context.Context) {
	if c, ok := ctx.Value(connKey{}).(*conn); ok {
		c.authenticated.Store(true)
	}
}

// conn is an accepted connection, counted until it is closed.
type conn struct {
	net.Conn
	l             *Listener
	addr          string
	idleLimit     time.Duration
	idle          atomic.Bool // turned idle; its next read deadline is the idle one
	authenticated atomic.Bool
	once          sync.Once
}

// SetReadDeadline shortens the idle deadline net/http sets on a keep-alive
// connection that has made no authenticated request. That deadline is the
// first one set after the connection turns idle; the next ones (the
// request's header and body timeouts) are left alone.
func (c *conn) SetReadDeadline(t time.Time) error {
	if c.idle.Swap(false) && c.idleLimit > 0 && !c.authenticated.Load() {
		if short := time.Now().Add(c.idleLimit); t.IsZero() || t.After(short) {
			t = short
		}
	}
	return c.Conn.SetReadDeadline(t)
}

// ReadFrom lets net/http send files with sendfile(2) through the TCP
// connection, as it would without the wrapper.
func (c *conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// CloseWrite half-closes a TCP connection, which net/http does before
// closing a connection after an error answer.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection and frees its place.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}

// hostOf returns the IP address of a remote address.
func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
