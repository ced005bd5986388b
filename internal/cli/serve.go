package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
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
	build := config.Bind(fs, e.getenv)
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
// empty database, and starts listening.
func (m *Main) Open(ctx context.Context) error {
	m.Log = newLogger(m.Config, m.env.stderr)
	db, applied, err := openStore(ctx, m.Config, m.env.now())
	if err != nil {
		return err
	}
	m.db = db
	for _, name := range applied {
		m.Log.Info("applied migration", "name", name)
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	m.Addr = ln.Addr().String()
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://" + m.Addr
	}
	m.App = app.New(db, nil, app.Config{PublicURL: m.Config.PublicURL}, m.env.now, m.Log)
	if m.Config.SMTPURL != "" {
		ml, err := mailer.New(mailer.Config{URL: m.Config.SMTPURL, From: m.Config.SMTPFrom, Now: m.env.now})
		if err != nil {
			return err
		}
		m.App.SetMailer(ml)
	}
	if err := m.openMedia(ctx); err != nil {
		return err
	}
	sealer, err := loadSealer(m.Config)
	if err != nil {
		return err
	}
	m.App.SetProviders(newRegistry(m.Config, m.env.now), sealer)
	if m.engine, err = newEngine(ctx, db, m.App, m.Config, m.Log, m.env.now); err != nil {
		return err
	}

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
		Handler:           m.Config.TrustedProxies.Handler(mux), // the client's address, for limits and throttling
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	return nil
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
	fmt.Fprintf(m.env.stdout, "Herald is listening on http://%s (API at %s%s)\n", m.Addr, m.Config.PublicURL, api.BasePath)
	m.Log.Info("listening", "addr", m.Addr, "public_url", m.Config.PublicURL, "database", redactDSN(m.Config.DatabaseURL))
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	m.Log.Info("shutting down", "timeout", m.Config.ShutdownTimeout)
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

// Close releases the database.
func (m *Main) Close() error {
	if m.listener != nil && m.server == nil {
		m.listener.Close()
	}
	if m.db != nil {
		return m.db.Close()
	}
	return nil
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
