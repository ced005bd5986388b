package publish_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

// waitTarget polls the post until its first target satisfies ok.
func (e *env) waitTarget(id string, ok func(*herald.PostTarget) bool) *herald.PostTarget {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := e.store.FindPostByID(context.Background(), id)
		must(e.t, err)
		if t := p.Targets[0]; ok(t) {
			return t
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("target is %s %s %q", p.Targets[0].State, p.Targets[0].ErrorCode, p.Targets[0].ErrorMessage)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTargetErrorMessageIsSafe: a target's errorMessage is shown to every
// member of the workspace, so it holds the network's own reason for a
// rejected post, and a fixed phrase for Herald's own failures, whose cause
// (file paths, addresses) goes only to the log.
func TestTargetErrorMessageIsSafe(t *testing.T) {
	t.Parallel()
	t.Run("internal failure", func(t *testing.T) {
		t.Parallel()
		e := forOneStore(t)
		prof := e.mastodonProfile()
		e.media.fail(errors.New("open /var/lib/herald/media/ab/cdef: permission denied"))
		p := e.schedule("internal failure", 2*time.Second, prof)
		tg := e.waitTarget(p.ID, func(t *herald.PostTarget) bool { return t.ErrorCode == "internal" })
		want := "Herald could not prepare the post: an internal error (the server log has the cause under target_id " + tg.ID + ")"
		if tg.ErrorMessage != want {
			t.Errorf("errorMessage = %q, want %q", tg.ErrorMessage, want)
		}
	})
	t.Run("domain error keeps its safe message", func(t *testing.T) {
		t.Parallel()
		e := forOneStore(t)
		prof := e.mastodonProfile()
		e.media.fail(herald.Errorf(herald.ENOTFOUND, "A file of this post was deleted from the media library."))
		p := e.schedule("domain failure", 2*time.Second, prof)
		tg := e.waitTarget(p.ID, func(t *herald.PostTarget) bool { return t.ErrorCode == "internal" })
		if want := "Herald could not prepare the post: A file of this post was deleted from the media library."; tg.ErrorMessage != want {
			t.Errorf("errorMessage = %q, want %q", tg.ErrorMessage, want)
		}
	})
	t.Run("rejection keeps the network's own reason", func(t *testing.T) {
		t.Parallel()
		e := forOneStore(t)
		prof := e.mastodonProfile()
		e.masto.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultStatus, Status: 422})
		p := e.schedule("rejected", 2*time.Second, prof)
		tg := e.settle(p.ID).Targets[0]
		if tg.State != herald.TargetFailed || tg.ErrorMessage != "Unprocessable Entity" {
			t.Errorf("target = %s %q, want failed with Mastodon's own reason", tg.State, tg.ErrorMessage)
		}
	})
}
