package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Purge is one housekeeping task: it deletes the expired rows of one kind
// (sessions, OAuth states, idempotency keys...) and returns how many it
// deleted. app.Purge converts to it.
type Purge struct {
	Name string
	Run  func(ctx context.Context) (int, error)
}

// HousekeepingArgs is the periodic housekeeping job. River inserts periodic
// jobs on its elected leader only, so the purges run once across all the
// nodes sharing the database, at start and every HousekeepingInterval.
type HousekeepingArgs struct{}

// Kind implements river.JobArgs.
func (HousekeepingArgs) Kind() string { return "herald_housekeeping" }

// InsertOpts implements river.JobArgsWithInsertOpts: a failed run is
// retried a few times; the next period runs it anyway.
func (HousekeepingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3}
}

// housekeeper runs the purges in order. One failing purge does not keep the
// others from running; the job fails (and is retried) if any failed.
type housekeeper struct {
	river.WorkerDefaults[HousekeepingArgs]
	purges []Purge
	log    *slog.Logger
}

// Timeout implements river.Worker: purges of large tables may take longer
// than a publication.
func (*housekeeper) Timeout(*river.Job[HousekeepingArgs]) time.Duration { return 10 * time.Minute }

// Work implements river.Worker.
func (w *housekeeper) Work(ctx context.Context, _ *river.Job[HousekeepingArgs]) error {
	var errs []error
	for _, p := range w.purges {
		n, err := p.Run(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("purge %s: %w", p.Name, err))
			continue
		}
		if n > 0 {
			w.log.InfoContext(ctx, "housekeeping purged expired rows", "what", p.Name, "count", n)
		}
	}
	return errors.Join(errs...)
}

// housekeepingJobs returns the periodic housekeeping job, if there is
// anything to purge.
func housekeepingJobs(cfg Config) []*river.PeriodicJob {
	if len(cfg.Purges) == 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(
		river.PeriodicInterval(cfg.HousekeepingInterval),
		func() (river.JobArgs, *river.InsertOpts) { return HousekeepingArgs{}, nil },
		&river.PeriodicJobOpts{ID: HousekeepingArgs{}.Kind(), RunOnStart: true},
	)}
}
