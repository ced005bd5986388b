package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/app/apptest"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/secret"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestInitJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := run(t, "init", "--json", "--data-dir", dir, "--email", "Ada@Example.org")
	if code != 0 {
		t.Fatalf("init = %d: %s", code, errOut)
	}
	var first struct {
		UserID, WorkspaceID, APIKey string
		Password                    *string
	}
	if err := json.Unmarshal([]byte(out), &first); err != nil || first.UserID == "" || first.WorkspaceID == "" || !strings.HasPrefix(first.APIKey, "hk_") || first.Password == nil {
		t.Fatalf("init output %q: %v", out, err)
	}
	if !strings.HasPrefix(out, `{"userId":`) {
		t.Errorf("keys out of order: %s", out)
	}
	// The same e-mail: a new key for the same user, no password.
	_, out, _ = run(t, "init", "--json", "--data-dir", dir, "--email", "ada@example.org")
	var again struct {
		UserID, WorkspaceID, APIKey string
		Password                    *string
	}
	json.Unmarshal([]byte(out), &again)
	if again.UserID != first.UserID || again.WorkspaceID != first.WorkspaceID || again.APIKey == first.APIKey || again.Password != nil {
		t.Errorf("second init = %+v", again)
	}
	// Another e-mail: another user with a workspace of their own.
	_, out, _ = run(t, "init", "--json", "--data-dir", dir, "--email", "bob@example.org")
	var other struct{ UserID, WorkspaceID string }
	json.Unmarshal([]byte(out), &other)
	if other.UserID == first.UserID || other.WorkspaceID == first.WorkspaceID {
		t.Errorf("another e-mail = %+v", other)
	}
	if code, _, errOut := run(t, "init", "--json", "--data-dir", dir, "--email", "not an e-mail"); code != 1 || !strings.Contains(errOut, "email") {
		t.Errorf("bad e-mail = %d %q", code, errOut)
	}
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "--help")
	if !strings.Contains(out, "--discord-api-url") || !strings.Contains(out, "HERALD_DISCORD_API_URL") {
		t.Error("help lacks a network's setting (discord-api-url), declared by its package")
	}
	for _, s := range append(config.Settings(), networkSettings()...) {
		if !strings.Contains(out, "--"+s.Flag) || !strings.Contains(out, s.Env) {
			t.Errorf("help lacks %s / %s", s.Flag, s.Env)
		}
	}
	if code != 0 {
		t.Errorf("--help = %d", code)
	}
	if code, _, _ := run(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command = %d, want 2", code)
	}
	if code, _, errOut := run(t, "serve", "--rate-limit", "zero"); code != 2 || !strings.Contains(errOut, "rate-limit") {
		t.Errorf("bad flag value = %d %q", code, errOut)
	}
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, errOut := run(t, "init", "--json", "--data-dir", dir); code != 0 {
		t.Fatal(errOut)
	}
	cfg := &config.Config{DataDir: dir, DatabaseURL: filepath.Join(dir, "herald.db")}
	// Connect a profile, sealed under the first key.
	sealer, err := loadSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	oldID := sealer.PrimaryKeyID()
	ctx := context.Background()
	db, _, err := openStore(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := apptest.New(t, app.ServicesConfig{Store: db, Config: app.Config{PublicURL: "http://herald.test"}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Providers: provider.NewRegistry(feed.New(feed.Config{ItemURL: func(k string) string { return k }})), Sealer: sealer})
	res, err := a.Init(ctx, app.InitParams{Email: "rot@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := a.AuthenticateAPIKey(ctx, res.APIKey)
	p, err := a.ConnectProfile(herald.NewContextWithUser(ctx, u), res.WorkspaceID, json.RawMessage(`{"provider":"feed","name":"News"}`))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := run(t, "rotate-key", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "Re-encrypted 1 credential") {
		t.Fatalf("rotate-key = %d %q %q", code, out, errOut)
	}
	newSealer, err := loadSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if newSealer.PrimaryKeyID() == oldID {
		t.Fatal("the key did not change")
	}
	db, _, err = openStore(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.FindSocialProfileByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := secret.KeyID(got.Credentials); id != newSealer.PrimaryKeyID() {
		t.Errorf("credentials sealed with %s, want the new key %s", id, newSealer.PrimaryKeyID())
	}
	onlyNew, err := secret.New(mustKeyFile(t, filepath.Join(dir, "secret.key")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Open(got.Credentials, []byte("social_profile:"+p.ID)); err != nil {
		t.Errorf("the new key alone cannot open the credentials: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "secret.key.retired")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("retired key file: %v %v", fi, err)
	}
	// Running it again rotates again and keeps every old key.
	if code, out, _ := run(t, "rotate-key", "--data-dir", dir); code != 0 || !strings.Contains(out, "Re-encrypted 1") {
		t.Errorf("second rotation = %d %q", code, out)
	}
	if keys, _ := readRetiredKeys(cfg); len(keys) != 2 {
		t.Errorf("retired keys = %d, want 2", len(keys))
	}
}

func mustKeyFile(t *testing.T, path string) secret.Key {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := secret.ParseKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
