package publish

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// River queues a scheduled job (one due later, or snoozed, or waiting to be
// retried) as "scheduled" or "retryable"; its scheduler, on the elected
// leader, makes those due within 5 s "available" for the workers to fetch
// at their time. It does so in one statement over up to 10,000 jobs, and on
// PostgreSQL that statement's plan is quadratic in the batch when the
// planner expects a handful of rows (river_job not analyzed since a burst
// of posts was scheduled): its unique-conflict join rescans the batch for
// every job. 10,000 posts due at one second then waited 27–90 s, the
// statement being cancelled at River's 30 s timeout and retried with a
// smaller batch (docs/benchmarks.md §4). So the engine makes its own
// publish jobs available ahead of River's scheduler, in small batches with
// a plain indexed statement, on every node: River's scheduler then finds
// them done, and still serves as the fallback.
const (
	// promoteLookahead is how far ahead publish jobs are made available
	// (workers fetch an available job only once it is due). It exceeds the
	// scheduler's 5 s look-ahead so that the engine is first.
	promoteLookahead = 10 * time.Second
	// promoteEvery is how often each node looks for jobs entering that
	// window; jobs inserted already inside it are inserted available
	// (dueSoon).
	promoteEvery = time.Second
	// promoteBatch bounds one statement.
	promoteBatch = 500
	// publishPriority is River's default priority, which publish jobs keep:
	// with the queue and the state it fixes the prefix of River's fetching
	// index (state, queue, priority, scheduled_at, id), so finding the jobs
	// due before a time reads only those, however many wait further ahead.
	publishPriority = 1
)

const promotePostgres = `UPDATE river_job SET state = 'available'
WHERE id IN (
	SELECT id FROM river_job
	WHERE state IN ('scheduled', 'retryable') AND queue = $1 AND priority = $2 AND scheduled_at <= $3 AND kind = $4
	ORDER BY scheduled_at, id
	LIMIT $5
	FOR UPDATE SKIP LOCKED)`

const promoteSQLite = `UPDATE river_job SET state = 'available'
WHERE id IN (
	SELECT id FROM river_job
	WHERE state IN ('scheduled', 'retryable') AND queue = ? AND priority = ? AND scheduled_at <= ? AND kind = ?
	ORDER BY scheduled_at, id
	LIMIT ?)`

// sqliteTime is how River's SQLite driver stores times (text that compares
// correctly only in exactly this form).
const sqliteTime = "2006-01-02 15:04:05.000"

// promoteDue makes the publish jobs due before now+promoteLookahead
// available, batch after batch, and returns how many it moved.
func (e *Engine[TTx]) promoteDue(ctx context.Context) (int, error) {
	horizon := e.now().Add(promoteLookahead).UTC()
	total := 0
	for {
		n, err := e.promoteBatch(ctx, horizon)
		total += n
		if err != nil || n < promoteBatch {
			return total, err
		}
	}
}

func (e *Engine[TTx]) promoteBatch(ctx context.Context, horizon time.Time) (int, error) {
	kind := PublishArgs{}.Kind()
	switch e.driver.DatabaseName() {
	case riverdriver.DatabaseNamePostgres:
		return e.promoteIn(ctx, func(tx any) (int64, error) {
			ptx, ok := tx.(pgx.Tx)
			if !ok {
				return 0, fmt.Errorf("publish: PostgreSQL transaction of type %T", tx)
			}
			tag, err := ptx.Exec(ctx, promotePostgres, river.QueueDefault, publishPriority, horizon, kind, promoteBatch)
			return tag.RowsAffected(), err
		})
	case riverdriver.DatabaseNameSQLite:
		return e.promoteIn(ctx, func(tx any) (int64, error) {
			stx, ok := tx.(*sql.Tx)
			if !ok {
				return 0, fmt.Errorf("publish: SQLite transaction of type %T", tx)
			}
			res, err := stx.ExecContext(ctx, promoteSQLite, river.QueueDefault, publishPriority, horizon.Format(sqliteTime), kind, promoteBatch)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		})
	default:
		return 0, nil // another driver: River's scheduler alone
	}
}

// promoteIn runs exec in a transaction of River's driver.
func (e *Engine[TTx]) promoteIn(ctx context.Context, exec func(tx any) (int64, error)) (int, error) {
	etx, err := e.driver.GetExecutor().Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer etx.Rollback(context.WithoutCancel(ctx))
	n, err := exec(any(e.driver.UnwrapTx(etx)))
	if err != nil {
		return 0, err
	}
	return int(n), etx.Commit(ctx)
}

// promoter runs promoteDue every promoteEvery until ctx ends.
func (e *Engine[TTx]) promoter(ctx context.Context) {
	t := time.NewTicker(promoteEvery)
	defer t.Stop()
	for {
		if n, err := e.promoteDue(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "making due publish jobs available", "error", err, "moved", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
