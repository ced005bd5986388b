package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// The tests in this file cover the SQL that carries the publishing
// guarantees: one claim per target, claims that respect a changed post,
// leases that only one worker can take over, row locks that serialise, the
// quota count, the overdue sweep, OAuth states used once, and heartbeats.

// holdFor is how long a transaction that holds a lock waits before it
// commits, giving a competing transaction time to reach the database and
// block. If the competitor is late, the test still passes when the store is
// correct; it can only miss a broken lock, never fail a good one.
const holdFor = 150 * time.Millisecond

// scheduledTarget creates a scheduled post with one target and returns both.
func scheduledTarget(t *testing.T, s store.Store, email string) (*herald.Post, *herald.PostTarget) {
	t.Helper()
	f := seed(t, s, email)
	pr := profile(t, s, f.ws.ID, "mastodon", "m1")
	p := newPost(f, now, herald.StatusScheduled, pr)
	p.Version = 1
	must(t, s.CreatePost(context.Background(), p))
	return p, p.Targets[0]
}

func testClaimOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, tg := scheduledTarget(t, s, "claim@example.org")
	const workers = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			ok, err := s.ClaimPostTarget(ctx, tg.ID, p.Version, now.Add(time.Minute), now)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of %d concurrent claims won, want exactly 1", n, workers)
	}
	got, err := s.FindPostByID(ctx, p.ID)
	must(t, err)
	if tt := got.Targets[0]; tt.State != herald.TargetPublishing || tt.Attempts != 1 || tt.LeaseUntil == nil || !tt.LeaseUntil.Equal(now.Add(time.Minute)) {
		t.Errorf("after the claim: state %s, attempts %d, lease %v", tt.State, tt.Attempts, tt.LeaseUntil)
	}
}

func testClaimAfterVersionBump(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, tg := scheduledTarget(t, s, "bump@example.org")
	old := p.Version
	p.Version++
	p.UpdatedAt = now.Add(time.Second)
	must(t, s.UpdatePost(ctx, p))
	ok, err := s.ClaimPostTarget(ctx, tg.ID, old, now.Add(time.Minute), now)
	must(t, err)
	if ok {
		t.Fatal("a claim for the post's previous version won")
	}
	ok, err = s.ClaimPostTarget(ctx, tg.ID, p.Version, now.Add(time.Minute), now)
	must(t, err)
	if !ok {
		t.Fatal("a claim for the post's current version lost")
	}
}

// A change of the post made under LockPost is seen by a claim that arrives
// while the change is in progress: the claim waits, then loses.
func testClaimWaitsForLockPost(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, tg := scheduledTarget(t, s, "lockpost@example.org")
	old := p.Version
	claimed := make(chan bool, 1)
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.LockPost(ctx, p.ID))
		p.Version++
		must(t, tx.UpdatePost(ctx, p))
		go func() {
			ok, err := s.ClaimPostTarget(ctx, tg.ID, old, now.Add(time.Minute), now)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			claimed <- ok
		}()
		select {
		case ok := <-claimed:
			t.Errorf("a claim did not wait for the post's lock (won: %v)", ok)
		case <-time.After(holdFor):
		}
		return nil
	}))
	if ok := <-claimed; ok {
		t.Fatal("a claim of the old version won after the change committed")
	}
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockPost(ctx, herald.NewID()) }), herald.ENOTFOUND)
}

func testLockSocialProfile(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "lockprofile@example.org")
	pr := profile(t, s, f.ws.ID, "bluesky", "did:plc:lock")
	var released atomic.Bool
	second := make(chan error, 1)
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		must(t, tx.LockSocialProfile(ctx, pr.ID))
		go func() {
			second <- s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.LockSocialProfile(ctx, pr.ID); err != nil {
					return err
				}
				if !released.Load() {
					t.Error("a second transaction locked the profile while the first held it")
				}
				return nil
			})
		}()
		time.Sleep(holdFor)
		released.Store(true)
		return nil
	}))
	must(t, <-second)
	wantCode(t, s.InTx(ctx, func(tx store.Tx) error { return tx.LockSocialProfile(ctx, herald.NewID()) }), herald.ENOTFOUND)
}

func testLeaseRenewal(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, tg := scheduledTarget(t, s, "lease@example.org")
	lease1 := now.Add(time.Minute)
	ok, err := s.ClaimPostTarget(ctx, tg.ID, p.Version, lease1, now)
	must(t, err)
	if !ok {
		t.Fatal("claim lost")
	}
	lease2 := now.Add(3 * time.Minute)
	ok, err = s.RenewPostTargetLease(ctx, tg.ID, &lease1, lease2, now.Add(2*time.Minute))
	must(t, err)
	if !ok {
		t.Fatal("taking over the run-out lease lost")
	}
	// A second worker that read the same old lease comes too late.
	ok, err = s.RenewPostTargetLease(ctx, tg.ID, &lease1, now.Add(4*time.Minute), now.Add(2*time.Minute))
	must(t, err)
	if ok {
		t.Fatal("a renewal with a stale lease won")
	}
	// A lease that was never set (an attempt recorded before leases) is
	// taken over by whoever passes nil, but not once it has one.
	ok, err = s.RenewPostTargetLease(ctx, tg.ID, nil, now.Add(5*time.Minute), now.Add(2*time.Minute))
	must(t, err)
	if ok {
		t.Fatal("a renewal without a lease won over a leased attempt")
	}
	got, err := s.FindPostByID(ctx, p.ID)
	must(t, err)
	if tt := got.Targets[0]; tt.Attempts != 2 || tt.LeaseUntil == nil || !tt.LeaseUntil.Equal(lease2) {
		t.Errorf("attempts %d, lease %v; want 2 and %v", tt.Attempts, tt.LeaseUntil, lease2)
	}

	// Concurrent renewals of one lease: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			ok, err := s.RenewPostTargetLease(ctx, tg.ID, &lease2, now.Add(time.Duration(10+i)*time.Minute), now.Add(4*time.Minute))
			if err != nil {
				t.Errorf("renew: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d concurrent renewals of one lease won, want 1", n)
	}
}

func testQuotaCount(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "quota@example.org")
	pr := profile(t, s, f.ws.ID, "bluesky", "did:plc:quota")
	other := profile(t, s, f.ws.ID, "mastodon", "other")
	mk := func(state herald.TargetState, publishedAt *time.Time, pp *herald.SocialProfile) {
		p := newPost(f, now, herald.StatusScheduled, pp)
		p.Targets[0].State = state
		p.Targets[0].PublishedAt = publishedAt
		must(t, s.CreatePost(ctx, p))
	}
	early, late := now.Add(-3*time.Hour), now.Add(-30*time.Minute)
	mk(herald.TargetPublished, &early, pr)
	mk(herald.TargetPublished, &late, pr)
	mk(herald.TargetPublishing, nil, pr)
	mk(herald.TargetProcessing, nil, pr)
	mk(herald.TargetScheduled, nil, pr)
	mk(herald.TargetFailed, nil, pr)
	mk(herald.TargetPublished, &late, other)
	for _, c := range []struct {
		since time.Time
		want  int
	}{
		{now.Add(-4 * time.Hour), 4}, // both publications and both attempts in flight
		{now.Add(-time.Hour), 3},     // the later publication and the attempts in flight
		{now, 2},                     // attempts in flight count whatever the window
	} {
		n, err := s.CountPublishedSince(ctx, pr.ID, c.since)
		must(t, err)
		if n != c.want {
			t.Errorf("CountPublishedSince(%v) = %d, want %d", c.since, n, c.want)
		}
	}
	n, err := s.CountPendingTargets(ctx, pr.ID)
	must(t, err)
	if n != 3 {
		t.Errorf("CountPendingTargets = %d, want 3 (scheduled, publishing, processing)", n)
	}
}

func testOverdueTargets(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "overdue@example.org")
	pr := profile(t, s, f.ws.ID, "mastodon", "o1")
	pr2 := profile(t, s, f.ws.ID, "bluesky", "did:plc:o2")
	at := func(d time.Duration) *herald.Post {
		p := newPost(f, now, herald.StatusScheduled, pr, pr2)
		sa := now.Add(d)
		p.ScheduledAt, p.Version = &sa, 2
		return p
	}
	oldest, older, future := at(-2*time.Hour), at(-time.Hour), at(time.Hour)
	older.Targets[1].State = herald.TargetPublished // only its first target is overdue
	draft := newPost(f, now.Add(-3*time.Hour), herald.StatusDraft, pr)
	draft.Targets[0].State = herald.TargetDraft
	for _, p := range []*herald.Post{older, future, oldest, draft} {
		must(t, s.CreatePost(ctx, p))
	}
	must(t, s.SetPostTargetJob(ctx, oldest.Targets[0].ID, 42))

	got, err := s.FindOverdueTargets(ctx, now, 10)
	must(t, err)
	var ids []string
	for _, o := range got {
		ids = append(ids, o.TargetID)
		if o.Version != 2 {
			t.Errorf("target %s: version %d, want 2", o.TargetID, o.Version)
		}
	}
	if len(got) != 3 || got[2].TargetID != older.Targets[0].ID || !got[2].ScheduledAt.Equal(*older.ScheduledAt) {
		t.Fatalf("overdue targets = %v, want oldest's two then older's first", ids)
	}
	for _, o := range got[:2] {
		if o.PostID != oldest.ID {
			t.Errorf("overdue %s belongs to %s, want the oldest post first", o.TargetID, o.PostID)
		}
		if o.TargetID == oldest.Targets[0].ID && o.JobID == nil {
			t.Errorf("target %s: job id not returned", o.TargetID)
		}
	}
	got, err = s.FindOverdueTargets(ctx, now, 1)
	must(t, err)
	if len(got) != 1 {
		t.Errorf("limit 1 returned %d", len(got))
	}
}

func testOAuthStateOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := seed(t, s, "oauth@example.org")
	st := &store.OAuthState{StateHash: []byte("state-1"), SessionID: herald.NewID(), UserID: f.user.ID, WorkspaceID: f.ws.ID,
		Provider: "mastodon", Server: "https://m.example", Verifier: []byte("v"), ExpiresAt: now.Add(10 * time.Minute)}
	must(t, s.CreateOAuthState(ctx, st))
	got, err := s.TakeOAuthState(ctx, st.StateHash)
	must(t, err)
	if got.UserID != f.user.ID || got.Server != st.Server || string(got.Verifier) != "v" {
		t.Errorf("taken state = %+v", got)
	}
	_, err = s.TakeOAuthState(ctx, st.StateHash)
	wantCode(t, err, herald.ENOTFOUND)

	// Concurrent takes of one state: exactly one gets it.
	st.StateHash = []byte("state-2")
	must(t, s.CreateOAuthState(ctx, st))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			_, err := s.TakeOAuthState(ctx, st.StateHash)
			switch herald.ErrorCode(err) {
			case "":
				wins.Add(1)
			case herald.ENOTFOUND:
			default:
				t.Errorf("take: %v", err)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d concurrent takes of one state succeeded, want 1", n)
	}

	// Expired states are purged, live ones kept.
	st.StateHash, st.ExpiresAt = []byte("expired"), now.Add(-time.Second)
	must(t, s.CreateOAuthState(ctx, st))
	live := *st
	live.StateHash, live.ExpiresAt = []byte("live"), now.Add(time.Minute)
	must(t, s.CreateOAuthState(ctx, &live))
	_, err = s.DeleteExpiredOAuthStates(ctx, now)
	must(t, err)
	_, err = s.TakeOAuthState(ctx, []byte("expired"))
	wantCode(t, err, herald.ENOTFOUND)
	_, err = s.TakeOAuthState(ctx, []byte("live"))
	must(t, err)
}

func testWorkerHeartbeats(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := func(since time.Time, want int) {
		t.Helper()
		n, err := s.CountLiveWorkerNodes(ctx, since)
		must(t, err)
		if n != want {
			t.Errorf("CountLiveWorkerNodes(%v) = %d, want %d", since, n, want)
		}
	}
	must(t, s.HeartbeatWorkerNode(ctx, "a", now, now))
	must(t, s.HeartbeatWorkerNode(ctx, "b", now, now.Add(-20*time.Second)))
	live(now.Add(-15*time.Second), 1)
	must(t, s.HeartbeatWorkerNode(ctx, "b", now, now.Add(time.Second))) // a later beat moves it forward
	live(now.Add(-15*time.Second), 2)
	live(now.Add(500*time.Millisecond), 1)
	must(t, s.DeleteWorkerNode(ctx, "a"))
	live(now.Add(-time.Hour), 1)
	must(t, s.HeartbeatWorkerNode(ctx, "c", now, now.Add(-time.Hour)))
	must(t, s.DeleteWorkerNodesBefore(ctx, now.Add(-time.Minute)))
	live(now.Add(-2*time.Hour), 1)
}
