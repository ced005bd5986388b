package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/discord"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/slack"
	"github.com/heraldhq/herald/internal/provider/telegram"
	"github.com/heraldhq/herald/internal/publish"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// engine is the publishing engine whatever its database.
type engine interface {
	app.Scheduler
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Alive(ctx context.Context) error
}

// keyFile is where the credentials key lives when HERALD_SECRET_KEY is not
// set; retired keys (after a rotation) are kept beside it to open what was
// sealed before.
func keyFile(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "secret.key") }

func retiredKeyFile(cfg *config.Config) string { return keyFile(cfg) + ".retired" }

// loadSealer returns the sealer of the configured keys: HERALD_SECRET_KEY
// (comma-separated, the first seals) or the key file, plus retired keys.
func loadSealer(cfg *config.Config) (*secret.Sealer, error) {
	var keys []secret.Key
	if cfg.SecretKey != "" {
		for i, s := range strings.Split(cfg.SecretKey, ",") {
			k, err := secret.ParseKey(s)
			if err != nil {
				return nil, fmt.Errorf("secret-key (key %d): %w", i+1, err)
			}
			keys = append(keys, k)
		}
	} else {
		k, err := secret.LoadOrCreateKeyFile(keyFile(cfg))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	retired, err := readRetiredKeys(cfg)
	if err != nil {
		return nil, err
	}
	return secret.New(append(keys, retired...)...)
}

func readRetiredKeys(cfg *config.Config) ([]secret.Key, error) {
	b, err := os.ReadFile(retiredKeyFile(cfg))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var keys []secret.Key
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, err := secret.ParseKey(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", retiredKeyFile(cfg), err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// networks lists the networks Herald publishes to. Adding a network is its
// package and one line here: the registry, the API and its document, the
// web app and --help read everything else from the network's descriptor.
func networks() []provider.Network {
	return []provider.Network{
		mastodon.Network(),
		bluesky.Network(),
		discord.Network(),
		slack.Network(),
		telegram.Network(),
		feed.Network(),
	}
}

// networkSettings are the networks' own settings, for --help and
// config.BindWith.
func networkSettings() []config.Setting {
	var out []config.Setting
	for _, n := range networks() {
		for _, s := range n.Settings {
			out = append(out, config.Setting{Flag: s.Flag, Env: s.Env, Default: s.Default, Help: s.Help})
		}
	}
	return out
}

// newRegistry builds the networks Herald publishes to. Every request to a
// server a user named goes through the address policy.
func newRegistry(cfg *config.Config, now func() time.Time) (*provider.Registry, error) {
	client := safehttp.NewClient(safehttp.Config{
		Policy:  safehttp.AddressPolicy{AllowPrivateNetworks: cfg.AllowPrivateNetworks},
		Timeout: cfg.PublishTimeout,
	})
	env := provider.Env{
		Client:    client,
		Now:       now,
		PublicURL: cfg.PublicURL,
	}
	reg := provider.NewRegistry()
	for _, n := range networks() {
		for _, s := range n.Settings {
			*s.Value = cfg.Networks[s.Flag]
		}
		p, err := n.New(env)
		if err != nil {
			return nil, err
		}
		reg.Register(p)
	}
	return reg, nil
}

// migrateQueue applies the job queue's own migrations.
func migrateQueue(ctx context.Context, db *database, log *slog.Logger) error {
	var err error
	switch {
	case db.sqlite != nil:
		err = publish.Migrate(ctx, riversqlite.New(db.sqlite.DB()), log)
	case db.postgres != nil:
		err = publish.Migrate(ctx, riverpgxv5.New(db.postgres.Pool()), log)
	}
	if err != nil {
		return fmt.Errorf("migrate the job queue: %w", err)
	}
	return nil
}

// toolApp returns the application layer of a command that never publishes
// (init, password, rotate-key). sealer may be nil.
func toolApp(db *database, sealer *secret.Sealer, now func() time.Time, log *slog.Logger) (*app.App, error) {
	svc, err := app.NewServices(app.ServicesConfig{Store: db, Now: now, Log: log, Sealer: sealer})
	if err != nil {
		return nil, err
	}
	return app.New(app.Deps{Services: svc, Scheduler: app.NeverPublish}), nil
}

// newEngine builds the publishing engine on the store's database and the
// app's leaf services, and applies River's migrations; the app is then
// built with the engine as its scheduler.
func newEngine(ctx context.Context, db *database, a *app.Services, cfg *config.Config, log *slog.Logger, now func() time.Time) (engine, error) {
	pcfg := publish.Config{Workers: cfg.Workers, AttemptTimeout: cfg.PublishTimeout}
	for _, p := range a.Purges() {
		pcfg.Purges = append(pcfg.Purges, publish.Purge(p))
	}
	if err := migrateQueue(ctx, db, log); err != nil {
		return nil, err
	}
	var e engine
	switch {
	case db.sqlite != nil:
		driver := riversqlite.New(db.sqlite.DB())
		eng, err := publish.New(driver, sqlite.DriverTx, db, a, pcfg, log, now)
		if err != nil {
			return nil, err
		}
		e = eng
	case db.postgres != nil:
		driver := riverpgxv5.New(db.postgres.Pool())
		eng, err := publish.New(driver, postgres.DriverTx, db, a, pcfg, log, now)
		if err != nil {
			return nil, err
		}
		e = eng
	default:
		return nil, errors.New("no database")
	}
	return e, nil
}
