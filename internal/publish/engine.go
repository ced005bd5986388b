// Package publish is Herald's publishing engine: durable jobs on River (the
// same code on SQLite and PostgreSQL) that send each target of a post group
// to its network at its time, record the outcome, and never publish a
// target twice.
//
// A target's publication is a River job inserted in the same transaction
// as the post (app.Scheduler). The worker claims the target under a lease
// (scheduled → publishing) before it calls the network and records the
// result after; a worker that finds a target still "publishing" after the
// lease knows an attempt ended without recording its outcome (a crash, a
// lost connection) and reconciles with the network before anything else.
// Every class of failure is handled here, once: transient (retry with
// backoff and jitter), rate limited (wait per account), token expired
// (refresh once), rejected (fail with the network's reason), unauthorized
// (fail and ask for a reconnection), outcome unknown (reconcile, else
// needs_attention).
//
// The same job queue runs Herald's housekeeping (housekeeping.go): a
// periodic job that purges expired rows, once across all nodes.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/store"
)

// Config tunes the engine.
type Config struct {
	// NodeID names this process among the nodes sharing the database.
	NodeID string
	// Workers is how many targets this node publishes at once.
	Workers int
	// PollInterval is how often the queue is polled for due jobs: the bound
	// on the lag between a post's time and its publication.
	PollInterval time.Duration
	// AttemptTimeout bounds one attempt at a network (its lease). After it,
	// an unfinished attempt is known to be over and is reconciled.
	AttemptTimeout time.Duration
	// MaxAttempts bounds retries of transient failures per target.
	MaxAttempts int
	// HeartbeatInterval is how often this node records that its workers live.
	HeartbeatInterval time.Duration
	// SweepInterval is how often this node looks for scheduled targets
	// whose job was lost (overdueAfter); every minute when zero.
	SweepInterval time.Duration
	// Purges are the housekeeping tasks (housekeeping.go), run in order by
	// one node at a time at start and every HousekeepingInterval.
	Purges []Purge
	// HousekeepingInterval is how often the purges run; hourly when zero.
	HousekeepingInterval time.Duration
	// Clock, when set, replaces the database's clock in the job queue, so
	// that tests can move time (a daylight-saving change, a lease running
	// out). Production leaves it nil: nodes then agree on the database's time.
	Clock rivertype.TimeGenerator
}

func (c *Config) defaults() {
	if c.NodeID == "" {
		c.NodeID = herald.NewID()
	}
	if c.Workers <= 0 {
		c.Workers = 50
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.HousekeepingInterval <= 0 {
		c.HousekeepingInterval = time.Hour
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = time.Minute
	}
}

// Store is what the engine needs of the store: the target's post and
// profile, the claim and the lease, the transaction that records an
// attempt's outcome (in which the worker locks and updates the post and its
// targets), the sweep for overdue targets and the worker-node heartbeats.
// store.Store satisfies it; a test may hand in less.
type Store interface {
	FindPostByID(ctx context.Context, id string) (*herald.Post, error)
	FindSocialProfileByID(ctx context.Context, id string) (*herald.SocialProfile, error)
	ClaimPostTarget(ctx context.Context, id string, version int, leaseUntil, now time.Time) (bool, error)
	RenewPostTargetLease(ctx context.Context, id string, oldLease *time.Time, leaseUntil, now time.Time) (bool, error)
	InTx(ctx context.Context, fn func(tx store.Tx) error) error

	FindOverdueTargets(ctx context.Context, before time.Time, limit int) ([]store.OverdueTarget, error)
	SetPostTargetJob(ctx context.Context, targetID string, jobID int64) error

	HeartbeatWorkerNode(ctx context.Context, id string, startedAt, now time.Time) error
	DeleteWorkerNode(ctx context.Context, id string) error
	DeleteWorkerNodesBefore(ctx context.Context, before time.Time) error
	CountLiveWorkerNodes(ctx context.Context, since time.Time) (int, error)
}

var _ Store = store.Store(nil)

// Services is what the engine needs of the application layer: the leaf
// services (*app.Services) that open an account and resolve a target's
// media, built before both the engine and the app.
type Services interface {
	// Provider returns the network of that name.
	Provider(name string) (provider.Provider, error)
	// DefaultRules returns a network's rule-table row (its package's, as
	// the registry took it at start).
	DefaultRules(id string) (provider.Rules, bool)
	// OpenAccount decrypts a profile's credentials.
	OpenAccount(ctx context.Context, p *herald.SocialProfile) (*provider.Account, error)
	// TargetMedia returns the files to publish to one target.
	TargetMedia(ctx context.Context, p *herald.Post, t *herald.PostTarget) ([]provider.Media, error)
}

// Engine runs the publishing jobs. TTx is the driver's transaction type
// (*sql.Tx for SQLite, pgx.Tx for PostgreSQL).
type Engine[TTx any] struct {
	client *river.Client[TTx]
	driver riverdriver.Driver[TTx]
	txOf   func(store.Tx) (TTx, bool)
	store  Store
	cfg    Config
	log    *slog.Logger
	now    func() time.Time

	started time.Time
	swept   time.Time // when overdue targets were last looked for
	stop    context.CancelFunc
	done    sync.WaitGroup // the heartbeat and the promoter
}

// PublishArgs is one target's publish job.
type PublishArgs struct {
	TargetID string `json:"target_id"`
	PostID   string `json:"post_id"`
	Version  int    `json:"version"`
}

// Kind implements river.JobArgs.
func (PublishArgs) Kind() string { return "herald_publish" }

// InsertOpts implements river.JobArgsWithInsertOpts. The jobs are not
// River-unique: each is inserted once, in the transaction that schedules its
// target's post version, and its id is kept on the target; River's unique
// jobs would also slow its scheduler when thousands fall due at once.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25}
}

// New builds the engine on a River driver and the store it shares a
// database with. txOf is the typed join between them: it returns the
// driver's transaction under one of the store's (sqlite.DriverTx,
// postgres.DriverTx), so that jobs are inserted in the transaction that
// changes the post.
func New[TTx any](driver riverdriver.Driver[TTx], txOf func(store.Tx) (TTx, bool), s Store, app Services, cfg Config, log *slog.Logger, now func() time.Time) (*Engine[TTx], error) {
	cfg.defaults()
	e := &Engine[TTx]{driver: driver, txOf: txOf, store: s, cfg: cfg, log: log, now: now}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{store: s, app: app, cfg: cfg, log: log, now: now})
	river.AddWorker(workers, &housekeeper{purges: cfg.Purges, log: log})
	client, err := river.NewClient(driver, &river.Config{
		ID:                cfg.NodeID,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 50*time.Millisecond),
		JobTimeout:        cfg.AttemptTimeout + 30*time.Second,
		// A job that ran past its timeout was killed with its node; the
		// target's lease, not this delay, keeps a rescued job from racing a
		// live one, so rescue soon after.
		RescueStuckJobsAfter: cfg.AttemptTimeout + 40*time.Second,
		Logger:               log.With("component", "river"),
		MaxAttempts:          25,
		Test:                 river.TestConfig{Time: cfg.Clock},
		Middleware:           []rivertype.Middleware{river.JobInsertMiddlewareFunc(e.dueSoon)},
		PeriodicJobs:         housekeepingJobs(cfg),
	})
	if err != nil {
		return nil, err
	}
	e.client = client
	return e, nil
}

// dueSoon inserts publish jobs that are due before the promoter next looks
// (promote.go) as available rather than scheduled: workers fetch available
// jobs only once their time has come, so they run on time. Jobs further
// ahead are left scheduled, so the set of available jobs stays small however
// many posts wait.
func (e *Engine[TTx]) dueSoon(ctx context.Context, params []*rivertype.JobInsertParams, inner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	horizon := e.now().Add(promoteLookahead)
	for _, p := range params {
		if p.Kind == (PublishArgs{}).Kind() && p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && !p.ScheduledAt.After(horizon) {
			p.State = rivertype.JobStateAvailable
		}
	}
	return inner(ctx)
}

// Migrate applies River's own migrations.
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log.With("component", "river")})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Start starts the workers and the heartbeat.
func (e *Engine[TTx]) Start(ctx context.Context) error {
	e.started = e.now()
	if err := e.store.HeartbeatWorkerNode(ctx, e.cfg.NodeID, e.started, e.started); err != nil {
		return err
	}
	if err := e.client.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stop = cancel
	e.done.Go(func() { e.heartbeat(hctx) })
	e.done.Go(func() { e.promoter(hctx) })
	return nil
}

// requeueOverdue queues again the publication of scheduled targets well
// past their time whose job is gone (discarded after repeated failures of
// the database, say). A target whose job still waits (deferred by a rate
// limit, say) is left alone.
func (e *Engine[TTx]) requeueOverdue(ctx context.Context) {
	overdue, err := e.store.FindOverdueTargets(ctx, e.now().Add(-overdueAfter), 500)
	if err != nil {
		if ctx.Err() == nil {
			e.log.WarnContext(ctx, "look for overdue posts", "error", err)
		}
		return
	}
	n := 0
	for _, o := range overdue {
		if o.JobID != nil {
			job, err := e.client.JobGet(ctx, *o.JobID)
			if err == nil && job.State != rivertype.JobStateCancelled && job.State != rivertype.JobStateDiscarded && job.State != rivertype.JobStateCompleted {
				continue // still queued
			}
			if err != nil && !errors.Is(err, river.ErrNotFound) {
				if ctx.Err() == nil {
					e.log.WarnContext(ctx, "look up a publish job", "job_id", *o.JobID, "error", err)
				}
				continue
			}
		}
		res, err := e.client.Insert(ctx, PublishArgs{TargetID: o.TargetID, PostID: o.PostID, Version: o.Version}, nil)
		if err == nil {
			err = e.store.SetPostTargetJob(ctx, o.TargetID, res.Job.ID)
		}
		if err != nil {
			if ctx.Err() == nil {
				e.log.WarnContext(ctx, "requeue an overdue publication", "target_id", o.TargetID, "error", err)
			}
			continue
		}
		n++
	}
	if n > 0 {
		e.log.WarnContext(ctx, "requeued overdue publications whose jobs were gone", "count", n)
	}
}

// overdueAfter is how late a target must be before its job is presumed lost.
const overdueAfter = 5 * time.Minute

func (e *Engine[TTx]) heartbeat(ctx context.Context) {
	t := time.NewTicker(e.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := e.now()
		if err := e.store.HeartbeatWorkerNode(ctx, e.cfg.NodeID, e.started, now); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "worker heartbeat", "error", err)
		}
		if now.Sub(e.swept) >= e.cfg.SweepInterval {
			e.swept = now
			e.requeueOverdue(ctx)
		}
		// Forget nodes that have been gone a long time.
		if err := e.store.DeleteWorkerNodesBefore(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "forget old worker nodes", "error", err)
		}
	}
}

// Stop stops fetching jobs, lets the publications in flight finish and
// record their outcome until ctx ends (the shutdown timeout), and stops the
// heartbeat. Their attempts are not cancelled by the stop itself: an attempt
// cut off mid-request would leave an outcome Herald cannot know. Those still
// running when ctx ends are cut off then: their contexts are cancelled, and
// each records what it knows (an outcome to reconcile, as after a crash)
// within cutOffWait before Stop returns.
func (e *Engine[TTx]) Stop(ctx context.Context) error {
	err := e.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		e.log.WarnContext(ctx, "publications were still in flight when the shutdown timeout ran out; cutting them off, their outcome is reconciled at the next start")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cutOffWait)
		err = e.client.StopAndCancel(cctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("publications cut off at the shutdown timeout did not record their outcome within %s: %w", cutOffWait, err)
		}
	}
	if e.stop != nil {
		e.stop()
		e.done.Wait()
	}
	if derr := e.store.DeleteWorkerNode(context.WithoutCancel(ctx), e.cfg.NodeID); derr != nil {
		err = errors.Join(err, derr)
	}
	return err
}

// cutOffWait bounds how long Stop waits, after the shutdown timeout, for the
// attempts it cut off to record their outcome.
const cutOffWait = 10 * time.Second

// Alive reports an error when no node's workers have sent a heartbeat
// recently: scheduled posts would wait silently.
func (e *Engine[TTx]) Alive(ctx context.Context) error {
	n, err := e.store.CountLiveWorkerNodes(ctx, e.now().Add(-3*e.cfg.HeartbeatInterval))
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("no publishing worker is alive")
	}
	select {
	case <-e.client.Stopped():
		return errors.New("this node's publishing workers have stopped")
	default:
	}
	return nil
}

// Schedule implements app.Scheduler: it queues the scheduled targets of p
// in tx and records their job ids.
func (e *Engine[TTx]) Schedule(ctx context.Context, tx store.Tx, p *herald.Post) error {
	if p.ScheduledAt == nil {
		return nil
	}
	var params []river.InsertManyParams
	var targets []*herald.PostTarget
	for _, t := range p.Targets {
		if t.State != herald.TargetScheduled {
			continue
		}
		params = append(params, river.InsertManyParams{
			Args:       PublishArgs{TargetID: t.ID, PostID: p.ID, Version: p.Version},
			InsertOpts: &river.InsertOpts{ScheduledAt: *p.ScheduledAt},
		})
		targets = append(targets, t)
	}
	if len(params) == 0 {
		return nil
	}
	driverTx, ok := e.txOf(tx)
	if !ok {
		return fmt.Errorf("publish: the store's transaction %T is not on the job queue's database", tx)
	}
	res, err := e.client.InsertManyTx(ctx, driverTx, params)
	if err != nil {
		return fmt.Errorf("queue publication: %w", err)
	}
	for i, r := range res {
		id := r.Job.ID
		targets[i].JobID = &id
		if err := tx.UpdatePostTarget(ctx, targets[i]); err != nil {
			return err
		}
	}
	return nil
}

// Unschedule implements app.Scheduler: it cancels the queued jobs of p's
// targets in tx. Jobs that already ran are left alone; a job that runs
// despite this finds the post's version changed and does nothing.
func (e *Engine[TTx]) Unschedule(ctx context.Context, tx store.Tx, p *herald.Post) error {
	driverTx, ok := e.txOf(tx)
	if !ok {
		return fmt.Errorf("publish: the store's transaction %T is not on the job queue's database", tx)
	}
	for _, t := range p.Targets {
		if t.JobID == nil || t.State.Busy() {
			continue
		}
		if _, err := e.client.JobCancelTx(ctx, driverTx, *t.JobID); err != nil && !errors.Is(err, river.ErrNotFound) {
			return fmt.Errorf("cancel the queued publication: %w", err)
		}
		t.JobID = nil
	}
	return nil
}
