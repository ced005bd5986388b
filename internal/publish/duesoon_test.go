package publish

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestDueSoonJobsAreInsertedAvailable(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	e := &Engine[struct{}]{now: func() time.Time { return now }}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	params := []*rivertype.JobInsertParams{
		{Kind: "herald_publish", State: rivertype.JobStateScheduled, ScheduledAt: at(2 * time.Second)},
		{Kind: "herald_publish", State: rivertype.JobStateScheduled, ScheduledAt: at(promoteLookahead)},
		{Kind: "herald_publish", State: rivertype.JobStateScheduled, ScheduledAt: at(time.Hour)},
		{Kind: "other", State: rivertype.JobStateScheduled, ScheduledAt: at(time.Second)},
	}
	called := false
	if _, err := e.dueSoon(context.Background(), params, func(context.Context) ([]*rivertype.JobInsertResult, error) {
		called = true
		return nil, nil
	}); err != nil || !called {
		t.Fatalf("dueSoon = %v, inner called %v", err, called)
	}
	want := []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateScheduled}
	for i, p := range params {
		if p.State != want[i] {
			t.Errorf("job %d (%s, due %s) = %s, want %s", i, p.Kind, p.ScheduledAt.Sub(now), p.State, want[i])
		}
	}
}
