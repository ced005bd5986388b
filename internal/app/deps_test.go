package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"
)

// TestNewRefusesAHalfBuiltApp: an app without its services or its
// scheduler cannot be built, so none can store scheduled posts that nothing
// publishes.
func TestNewRefusesAHalfBuiltApp(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := app.NewServices(app.ServicesConfig{Now: time.Now, Log: log}); err == nil {
		t.Error("NewServices without a store succeeded")
	}
	svc, err := app.NewServices(app.ServicesConfig{Store: sqlitetest.Open(t), Now: time.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]app.Deps{
		"no scheduler": {Services: svc},
		"no services":  {Scheduler: app.NeverPublish},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%s) did not panic", name)
				}
			}()
			app.New(d)
		})
	}
}

// recorder is a Scheduler that records what it was asked, and checks that
// it is asked inside the post's transaction.
type recorder struct {
	mu          sync.Mutex
	scheduled   []string
	unscheduled []string
}

func (r *recorder) Schedule(_ context.Context, tx store.Tx, p *herald.Post) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if tx == nil {
		panic("Schedule outside a transaction")
	}
	r.scheduled = append(r.scheduled, p.ID)
	return nil
}

func (r *recorder) Unschedule(_ context.Context, tx store.Tx, p *herald.Post) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if tx == nil {
		panic("Unschedule outside a transaction")
	}
	r.unscheduled = append(r.unscheduled, p.ID)
	return nil
}

// TestScheduledPostGoesToTheScheduler: the scheduler given to New is the one
// a scheduled post is queued on and a deleted one is taken off, with no
// check that it is there.
func TestScheduledPostGoesToTheScheduler(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		rec := &recorder{}
		e := setupWith(t, s, rec)
		prof, err := e.app.ConnectProfile(e.ctx, e.ws, json.RawMessage(`{"provider": "feed", "name": "News"}`))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Hour).UTC()
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: []string{prof.ID}, ScheduledAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.DeletePost(e.ctx, e.ws, p.ID, false); err != nil {
			t.Fatal(err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.scheduled) != 1 || rec.scheduled[0] != p.ID {
			t.Errorf("scheduled = %v, want [%s]", rec.scheduled, p.ID)
		}
		if len(rec.unscheduled) != 1 || rec.unscheduled[0] != p.ID {
			t.Errorf("unscheduled = %v, want [%s]", rec.unscheduled, p.ID)
		}
	})
}
