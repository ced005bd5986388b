package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/connlimit"
	"github.com/heraldhq/herald/internal/mailer"
	"github.com/heraldhq/herald/internal/web"
)

// Main is a running Herald server: Open builds it, Run serves until the
// context ends, Close releases what Open took. Tests use it in-process.
type Main struct {
	Config *config.Config
	Log    *slog.Logger
	App    *app.App
	// Addr is the address the server listens on, known after Open.
	Addr string

	db       *database
	mediaGC  *app.MediaCollector // media.go
	engine   engine
	listener net.Listener
	server   *http.Server
	env      *env
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("serve", e)
	build := config.BindWith(fs, e.getenv, networkSettings())
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return usageError{err}
	}
	m := &Main{Config: cfg, env: e}
	if err := m.Open(ctx); err != nil {
		return err
	}
	runErr := m.Run(ctx)
	closeErr := m.Close()
	return errors.Join(runErr, closeErr)
}

// Open opens the database, applies migrations, creates the first user on an
// empty database, and starts listening. When it fails it releases what it
// took (the database and the listening socket) before returning.
func (m *Main) Open(ctx context.Context) (err error) {
	m.Log = newLogger(m.Config, m.env.stderr)
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	fileLimit, raised, err := raiseFileLimit()
	if err != nil {
		m.Log.WarnContext(ctx, "could not raise the open-file limit", "limit", fileLimit, "error", err)
	} else if fileLimit > 0 {
		m.Log.InfoContext(ctx, "open-file limit", "limit", fileLimit, "raised", raised)
	}
	db, applied, err := openStore(ctx, m.Config, m.env.now())
	if err != nil {
		return err
	}
	m.db = db
	for _, name := range applied {
		m.Log.InfoContext(ctx, "applied migration", "name", name)
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	limits := connlimit.NewListener(ln, connlimit.Config{
		PerAddress:          m.Config.MaxConnectionsPerIP,
		Total:               maxConnections(m.Config.MaxConnections, fileLimit),
		UnauthenticatedIdle: unauthenticatedIdleTimeout,
		Exempt:              m.Config.TrustedProxies.Trusts, // a proxy's connections carry many clients
	}, m.Log)
	m.listener = limits
	m.Addr = ln.Addr().String()
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = defaultPublicURL(ln.Addr())
	}
	// The leaf services first, then the engine on them, then the app on
	// both: nothing is wired after construction.
	var deps app.Deps
	if m.Config.SMTPURL != "" {
		ml, err := mailer.New(mailer.Config{URL: m.Config.SMTPURL, From: m.Config.SMTPFrom, Now: m.env.now})
		if err != nil {
			return err
		}
		deps.Mailer = ml
	}
	ms, err := m.openMedia(ctx)
	if err != nil {
		return err
	}
	sealer, err := loadSealer(m.Config)
	if err != nil {
		return err
	}
	reg, err := newRegistry(m.Config, m.env.now)
	if err != nil {
		return err
	}
	if deps.Services, err = app.NewServices(app.ServicesConfig{Store: db, Config: app.Config{PublicURL: m.Config.PublicURL}, Now: m.env.now, Log: m.Log,
		Providers: reg, Sealer: sealer, Media: ms}); err != nil {
		return err
	}
	if m.engine, err = newEngine(ctx, db, deps.Services, m.Config, m.Log, m.env.now); err != nil {
		return err
	}
	deps.Scheduler = m.engine
	m.App = app.New(deps)
	m.mediaGC = m.App.NewMediaCollector(m.Config.Media.GCInterval)

	if empty, err := m.App.IsEmpty(ctx); err != nil {
		return err
	} else if empty {
		res, err := m.App.Init(ctx, app.InitParams{Email: "admin@herald.local", Name: "Admin", Workspace: "My workspace"})
		if err != nil && !isConflict(err) {
			return fmt.Errorf("create the first user: %w", err)
		}
		if res != nil {
			fmt.Fprintln(m.env.stdout, "Welcome to Herald. This is a new installation:")
			printCredentials(m.env.stdout, res)
		}
	}

	handler := api.NewHandler(m.App, api.Config{RateLimit: m.Config.RateLimit, Version: Version(),
		Ready: func(r *http.Request) error { return m.engine.Alive(r.Context()) }}, m.Log, m.env.now)
	mux := http.NewServeMux()
	mux.Handle("/api/", handler)
	mux.Handle("/healthz", handler)
	mux.Handle("/readyz", handler)
	mux.Handle(app.MediaPath, handler) // public media URLs, no API key
	mux.Handle("/", web.NewHandler(m.App, m.Log))
	m.server = &http.Server{
		Handler:           noSniff(m.Config.TrustedProxies.Handler(mux)), // the client's address, for limits and throttling
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	limits.Configure(m.server)
	return nil
}

// unauthenticatedIdleTimeout is how long a keep-alive connection that has
// made no authenticated request (API key or session) may stay idle; an
// authenticated one keeps the server's IdleTimeout (2 minutes).
const unauthenticatedIdleTimeout = 10 * time.Second

// maxConnections returns the cap on open connections: the setting, or three
// quarters of the open-file limit, leaving the rest to the database, media
// files and outgoing requests.
func maxConnections(setting int, fileLimit uint64) int {
	if setting > 0 {
		return setting
	}
	if fileLimit == 0 {
		return 10_000 // no open-file limit to go by
	}
	return int(min(max(fileLimit/4*3, 64), 1<<20))
}

// defaultPublicURL is the public URL when none is set: the listening
// address, with localhost for an unspecified one (0.0.0.0 or ::), which no
// browser can open.
func defaultPublicURL(addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port))
}

// publicURLWarning says why networks cannot reach a public URL on a
// loopback or unspecified address, or returns "".
func publicURLWarning(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if host != "localhost" && !strings.HasSuffix(host, ".localhost") && (ip == nil || !(ip.IsLoopback() || ip.IsUnspecified())) {
		return ""
	}
	return "the public URL " + publicURL + " is only reachable from this machine: networks cannot fetch media from it " +
		"(Instagram, Threads, TikTok, Pinterest) and OAuth sign-ins cannot come back to it; set HERALD_PUBLIC_URL (--public-url) to the address they reach Herald at"
}

// noSniff forbids browsers to guess a content type other than the one
// declared, on every answer (API, web pages, media, health checks).
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Run serves until ctx ends, then shuts down gracefully within the shutdown
// timeout: HTTP first (letting requests in flight finish), then the workers
// (letting publications in flight finish; those still running at the
// timeout are cut off and record what they know), then (Close) the database.
func (m *Main) Run(ctx context.Context) error {
	if err := m.engine.Start(ctx); err != nil {
		return fmt.Errorf("start the publishing workers: %w", err)
	}
	if m.mediaGC != nil {
		if err := m.mediaGC.Start(ctx); err != nil {
			return err
		}
		defer m.mediaGC.Stop()
	}
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.listener) }()
	// A URL this machine can open, also when listening on every address.
	fmt.Fprintf(m.env.stdout, "Herald is listening on %s (API at %s%s)\n", defaultPublicURL(m.listener.Addr()), m.Config.PublicURL, api.BasePath)
	m.Log.InfoContext(ctx, "listening", "addr", m.Addr, "public_url", m.Config.PublicURL, "database", redactDSN(m.Config.DatabaseURL))
	if w := publicURLWarning(m.Config.PublicURL); w != "" {
		m.Log.WarnContext(ctx, w)
	}
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	m.Log.InfoContext(ctx, "shutting down", "timeout", m.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	if err := m.server.Shutdown(sctx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("shut down HTTP: %w", err))
	}
	// Publications in flight finish and record their outcome.
	if err := m.engine.Stop(sctx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("stop the publishing workers: %w", err))
	}
	return serveErr
}

// Close releases the listener (when Run did not close it) and the database.
func (m *Main) Close() error {
	return m.release()
}

// release closes the listener (closing it again after Run is harmless) and
// the database; calling it again does nothing.
func (m *Main) release() error {
	if m.listener != nil {
		m.listener.Close()
	}
	m.listener = nil
	var err error
	if m.db != nil {
		err = m.db.Close()
		m.db = nil
	}
	return err
}

// isConflict reports a unique violation: another node created the first
// user at the same moment.
func isConflict(err error) bool { return herald.ErrorCode(err) == herald.ECONFLICT }

// redactDSN hides a password in a database URL for logs.
func redactDSN(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return s
}
