package publish

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/sqlite"
)

// The promoter makes the publish jobs entering its window available, more
// than one batch of them, and leaves later ones scheduled. The engine's
// workers are not started, so River's own scheduler (which runs on a
// started client) cannot be what moved them.
func TestPromoterMakesDueJobsAvailable(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
		if err != nil {
			t.Fatal(err)
		}
		testPromoter(t, s, riversqlite.New(s.DB()), sqlite.DriverTx)
	})
	if os.Getenv(pgtest.EnvVar) == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		testPromoter(t, s, riverpgxv5.New(s.Pool()), postgres.DriverTx)
	})
}

func testPromoter[TTx any](t *testing.T, s store.Store, d riverdriver.Driver[TTx], txOf func(store.Tx) (TTx, bool)) {
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := Migrate(ctx, d, log); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	e, err := New(d, txOf, s, nil, Config{}, log, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	insert := func(n int, at time.Time) {
		t.Helper()
		params := make([]river.InsertManyParams, n)
		for i := range params {
			params[i] = river.InsertManyParams{Args: PublishArgs{TargetID: "t", PostID: "p", Version: i}, InsertOpts: &river.InsertOpts{ScheduledAt: at}}
		}
		if _, err := e.client.InsertMany(ctx, params); err != nil {
			t.Fatal(err)
		}
	}
	soon, later := now.Add(time.Hour), now.Add(2*time.Hour)
	const due = 2*promoteBatch + 37
	insert(due, soon)
	insert(5, later)
	count := func(state rivertype.JobState) int {
		t.Helper()
		res, err := e.client.JobList(ctx, river.NewJobListParams().States(state).First(10_000))
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Jobs)
	}
	if got := count(rivertype.JobStateScheduled); got != due+5 {
		t.Fatalf("after insert: %d scheduled, want %d", got, due+5)
	}

	// An hour before: nothing is in the window.
	if n, err := e.promoteDue(ctx); err != nil || n != 0 {
		t.Fatalf("an hour ahead: promoteDue = %d, %v; want 0", n, err)
	}
	// The first jobs' time is now within the look-ahead.
	now = soon.Add(-promoteLookahead + time.Second)
	if n, err := e.promoteDue(ctx); err != nil || n != due {
		t.Fatalf("promoteDue = %d, %v; want %d", n, err, due)
	}
	if a, sch := count(rivertype.JobStateAvailable), count(rivertype.JobStateScheduled); a != due || sch != 5 {
		t.Errorf("after promoting: %d available, %d scheduled; want %d and 5", a, sch, due)
	}
	if n, err := e.promoteDue(ctx); err != nil || n != 0 {
		t.Errorf("promoteDue again = %d, %v; want 0", n, err)
	}
	// Available jobs keep their time: River's fetch takes them only then.
	res, err := e.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateAvailable).First(1))
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("JobList = %v, %v", res, err)
	}
	if got := res.Jobs[0].ScheduledAt; !got.Equal(soon) {
		t.Errorf("promoted job's scheduled_at = %s, want %s", got, soon)
	}
}
