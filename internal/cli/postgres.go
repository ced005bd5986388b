package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store/postgres"
)

func openPostgres(ctx context.Context, cfg *config.Config, now time.Time) (*database, []string, error) {
	s, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	applied, err := s.Migrate(ctx, now)
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("migrate PostgreSQL: %w", err)
	}
	return &database{Store: s, postgres: s}, applied, nil
}
