package cli

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/config"
)

func TestResetPassword(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir, DatabaseURL: filepath.Join(dir, "herald.db")}
	ctx := context.Background()
	db, _, err := openStore(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := apptest.New(t, app.ServicesConfig{Store: db, Config: app.Config{}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	res, err := a.Init(ctx, app.InitParams{Email: "ada@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := a.SignIn(ctx, res.Email, res.Password)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := run(t, "reset-password", "--data-dir", dir, "--email", "Ada@Example.org")
	m := regexp.MustCompile(`New web password for Ada@Example.org: (\S+)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("reset-password = %d %q %q", code, out, errOut)
	}
	password := m[1]
	if strings.Count(out, password) != 1 {
		t.Errorf("the password is printed %d times", strings.Count(out, password))
	}

	db, _, err = openStore(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a = apptest.New(t, app.ServicesConfig{Store: db, Config: app.Config{}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, _, err := a.AuthenticateSession(ctx, token); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("the session after the reset: %v, want ended", err)
	}
	if _, _, err := a.SignIn(ctx, res.Email, res.Password); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("old password: %v, want unauthorized", err)
	}
	if _, _, err := a.SignIn(ctx, res.Email, password); err != nil {
		t.Errorf("new password: %v", err)
	}

	if code, _, errOut := run(t, "reset-password", "--data-dir", dir, "--email", "nobody@example.org"); code != 1 || !strings.Contains(errOut, "No user has the e-mail") {
		t.Errorf("unknown e-mail = %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "reset-password", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "--email") {
		t.Errorf("no e-mail = %d %q", code, errOut)
	}
}
