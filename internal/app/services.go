package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/secret"
	"github.com/heraldhq/herald/internal/store"
)

// Services are the leaf services of the application layer: the store, the
// settings and clock, the connections (the networks' registry, the sealer
// of their credentials, opening an account) and the media resolution (the
// files to publish to one target). They depend on nothing of App, so the
// publishing engine is built on them first, and App on them and the engine:
// both see one registry, one sealer and one media store, and nothing is
// wired after construction.
type Services struct {
	store     store.Store
	cfg       Config
	now       func() time.Time
	log       *slog.Logger
	providers *provider.Registry
	sealer    *secret.Sealer
	media     *MediaService
}

// ServicesConfig configures NewServices. Store, Now and Log are required.
type ServicesConfig struct {
	Store  store.Store
	Config Config
	Now    func() time.Time
	Log    *slog.Logger
	// Providers are the networks Herald publishes to; nil means none.
	Providers *provider.Registry
	// Sealer encrypts the networks' credentials at rest; nil means no secret
	// key is configured (connecting a network then answers 503).
	Sealer *secret.Sealer
	// Media is the media component; nil means no media storage is
	// configured (posts with media and the media endpoints answer 503).
	Media *MediaService
}

// NewServices returns the leaf services, the settings' defaults filled in.
func NewServices(c ServicesConfig) (*Services, error) {
	if c.Store == nil || c.Now == nil || c.Log == nil {
		return nil, errors.New("app.NewServices: Store, Now and Log are required")
	}
	cfg := c.Config
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.IdempotencyTTL == 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.MaxScheduleAhead == 0 {
		cfg.MaxScheduleAhead = 5 * 365 * 24 * time.Hour
	}
	if cfg.PasswordHashes <= 0 {
		cfg.PasswordHashes = DefaultPasswordHashes()
	}
	reg := c.Providers
	if reg == nil {
		reg = provider.NewRegistry()
	}
	return &Services{store: c.Store, cfg: cfg, now: c.Now, log: c.Log, providers: reg, sealer: c.Sealer, media: c.Media}, nil
}

// NeverPublish is the Scheduler of an app that publishes nothing: commands
// that never publish (init, password, rotate-key) and tests of everything
// but publishing. Scheduled posts are stored and no job is queued; saying
// so is the caller's explicit choice, never the result of a missing engine.
var NeverPublish Scheduler = neverPublish{}

type neverPublish struct{}

func (neverPublish) Schedule(context.Context, store.Tx, *herald.Post) error   { return nil }
func (neverPublish) Unschedule(context.Context, store.Tx, *herald.Post) error { return nil }
