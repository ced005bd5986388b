package publish_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
)

// waitClaimed waits until a worker has claimed the post's only target and
// had time to send its request: the publication is in flight.
func (e *env) waitClaimed(id string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := e.store.FindPostByID(context.Background(), id)
		must(e.t, err)
		if p.Targets[0].State == herald.TargetPublishing {
			time.Sleep(300 * time.Millisecond) // the request leaves
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the target was not claimed within 30s: %s", p.Targets[0].State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGracefulStopLetsPublicationsInFlightFinish stops the engine while a
// publication is in flight at a network that answers in 1.5 s: the stop
// waits for the answer, so the target is published, once.
func TestGracefulStopLetsPublicationsInFlightFinish(t *testing.T) {
	t.Parallel()
	forEachStoreWith(t, options{discord: []discordfake.Option{discordfake.WithLatency(1500 * time.Millisecond)}}, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		d := e.discordProfile()
		p := e.schedule("In flight at the stop", time.Second, d)
		e.waitClaimed(p.ID)
		if err := e.stopWithin(30 * time.Second); err != nil {
			t.Fatalf("stop: %v", err)
		}
		got, err := e.store.FindPostByID(context.Background(), p.ID)
		must(t, err)
		if tg := got.Targets[0]; tg.State != herald.TargetPublished || got.Status != herald.StatusPosted {
			t.Errorf("after the stop: target %s (%s %s), post %s; want published", tg.State, tg.ErrorCode, tg.ErrorMessage, got.Status)
		}
		if n := e.discord.CountContent("In flight at the stop"); n != 1 {
			t.Errorf("discord holds the post %d times, want 1", n)
		}
	})
}

// TestStopCutsOffPublicationsPastTheShutdownTimeout stops the engine while
// a publication waits for an answer that never comes: at the shutdown
// timeout the attempt is cut off and its outcome recorded before Stop
// returns (Discord cannot tell whether the post went out: needs
// attention), rather than left running against a database being closed.
func TestStopCutsOffPublicationsPastTheShutdownTimeout(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		d := e.discordProfile()
		e.discord.FailNext(discordfake.Fault{Kind: discordfake.TimeoutBeforeRead, Method: "POST"})
		p := e.schedule("Cut off at the stop", time.Second, d)
		e.waitClaimed(p.ID)
		start := time.Now()
		if err := e.stopWithin(time.Second); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the stop took %s with a shutdown timeout of 1s", took)
		}
		got, err := e.store.FindPostByID(context.Background(), p.ID)
		must(t, err)
		tg := got.Targets[0]
		if tg.State != herald.TargetNeedsAttention || tg.LeaseUntil != nil || tg.ErrorCode == "" || got.Status != herald.StatusNeedsAttention {
			t.Errorf("after the stop: target %s (lease %v, %s %s), post %s; want needs_attention, recorded", tg.State, tg.LeaseUntil, tg.ErrorCode, tg.ErrorMessage, got.Status)
		}
		if n := e.discord.CountContent("Cut off at the stop"); n != 0 {
			t.Errorf("discord holds the post %d times, want 0", n)
		}
	})
}
