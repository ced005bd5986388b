// Package cli is Herald's composition root and command line: it reads the
// configuration, builds the logger, store, application, servers and (later)
// the publishing engine, and runs the subcommands.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/logging"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// env is what a command runs with.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, e, args[1:])
	case "init":
		err = runInit(ctx, e, args[1:])
	case "migrate":
		err = runMigrate(ctx, e, args[1:])
	case "rotate-key":
		err = runRotateKey(ctx, e, args[1:])
	case "reset-password":
		err = runResetPassword(ctx, e, args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, "herald", Version())
	case "help", "-h", "--help", "-help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

func usage(w io.Writer) {
	fmt.Fprint(w, `Herald: self-hosted social-media publishing, with an Ocoya-compatible API.

Usage:
  herald serve     start the server (embedded SQLite in ./herald-data unless configured)
  herald init      create a user, a workspace and an API key (or a new key for a known e-mail)
  herald migrate   apply database migrations
  herald rotate-key  encrypt stored credentials under a new key
  herald reset-password --email E  give a user a new web password (printed once) and end their sessions
  herald version   print the version

Every setting has a flag and an environment variable (the flag wins):
`)
	for _, s := range append(config.Settings(), networkSettings()...) {
		help, def := s.Described()
		if def != "" {
			help += " (default " + def + ")"
		}
		fmt.Fprintf(w, "  --%-24s $%-30s %s\n", s.Flag, s.Env, help)
	}
	fmt.Fprint(w, `
Run "herald <command> --help" for a command's own flags.
`)
}

// Version returns Herald's version from the build information: the module
// version ("devel" for a build from source) and the VCS revision the binary
// was built from, such as "devel (1a2b3c4d5e6f, modified)".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionOf(info)
}

// versionOf formats a build's version; "modified" says the work tree had
// uncommitted changes.
func versionOf(info *debug.BuildInfo) string {
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += ", modified"
	}
	return v + " (" + rev + ")"
}

func newFlagSet(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	return logging.New(w, cfg.LogFormat, level)
}

// database is an open, migrated store.
type database struct {
	store.Store
	sqlite   *sqlite.Store   // set for SQLite
	postgres *postgres.Store // set for PostgreSQL
}

// openStore opens and migrates the store the configuration names.
func openStore(ctx context.Context, cfg *config.Config, now time.Time) (*database, []string, error) {
	if cfg.IsPostgres() {
		return openPostgres(ctx, cfg, now)
	}
	s, err := sqlite.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	applied, err := s.Migrate(ctx, now)
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("migrate %s: %w", cfg.DatabaseURL, err)
	}
	return &database{Store: s, sqlite: s}, applied, nil
}

func runInit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("init", e)
	build := config.Bind(fs, e.getenv, "data-dir", "database-url")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	email := fs.String("email", "admin@herald.local", "the user's e-mail (their web sign-in)")
	name := fs.String("name", "", "the user's name (default: from the e-mail)")
	workspace := fs.String("workspace", "", "the new workspace's name (default: \"<name>'s workspace\")")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return usageError{err}
	}
	db, _, err := openStore(ctx, cfg, e.now())
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := toolApp(db, nil, e.now, slog.New(slog.NewTextHandler(e.stderr, nil)))
	if err != nil {
		return err
	}
	res, err := a.Init(ctx, app.InitParams{Email: *email, Name: *name, Workspace: *workspace})
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			UserID      string  `json:"userId"`
			WorkspaceID string  `json:"workspaceId"`
			APIKey      string  `json:"apiKey"`
			Password    *string `json:"password"`
		}{UserID: res.UserID, WorkspaceID: res.WorkspaceID, APIKey: res.APIKey}
		if res.Password != "" {
			out.Password = &res.Password
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	printCredentials(e.stdout, res)
	return nil
}

func printCredentials(w io.Writer, res *app.InitResult) {
	if res.Created {
		fmt.Fprintf(w, "Created user %s with workspace %s.\n", res.Email, res.WorkspaceID)
		fmt.Fprintf(w, "  Web sign-in:  %s / %s\n", res.Email, res.Password)
	} else {
		fmt.Fprintf(w, "Added an API key for %s.\n", res.Email)
	}
	fmt.Fprintf(w, "  API key:      %s\n", res.APIKey)
	fmt.Fprintf(w, "  Workspace id: %s\n", res.WorkspaceID)
	fmt.Fprintln(w, "These are shown once; keep them safe.")
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("migrate", e)
	build := config.Bind(fs, e.getenv, "data-dir", "database-url")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return usageError{err}
	}
	db, applied, err := openStore(ctx, cfg, e.now())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrateQueue(ctx, db, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))); err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "The database is up to date.")
	}
	for _, m := range applied {
		fmt.Fprintln(e.stdout, "Applied", m)
	}
	return nil
}
