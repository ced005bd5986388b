package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/heraldhq/herald/internal/config"
)

// runResetPassword gives a user a new generated web password, printed
// once, and signs them out everywhere: for the operator when someone has
// lost their password (or it has leaked).
func runResetPassword(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("reset-password", e)
	build := config.Bind(fs, e.getenv, "data-dir", "database-url")
	email := fs.String("email", "", "the user's e-mail (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError{fmt.Errorf("reset-password: --email is required")}
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
	a, err := toolApp(db, nil, e.now, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	password, err := a.ResetPassword(ctx, *email)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "New web password for %s: %s\n", *email, password)
	fmt.Fprintln(e.stdout, "It is shown once. The user's sessions were ended; their API keys still work.")
	return nil
}
