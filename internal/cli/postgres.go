package cli

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

func openPostgres(ctx context.Context, cfg *config.Config, now time.Time) (*database, []string, error) {
	return nil, nil, errors.New("PostgreSQL support is being added")
}
