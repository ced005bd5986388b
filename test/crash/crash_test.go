package crash

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// Crash test parameters.
const (
	crashPosts = 1000
	crashKills = 6
	// gracefulRun is the run stopped with SIGTERM rather than killed: the
	// one after the first kill, which still has most posts to publish
	// (later runs may have none ready while the killed ones' jobs wait to
	// be rescued), so that publications are in flight at the stop.
	gracefulRun = 1
	// leaseFlag is the shortest publish timeout Herald accepts: the lease
	// of an attempt a kill interrupted runs out this long after it began.
	leaseFlag = "5s"
)

// TestCrash schedules 1,000 posts due within seconds on Mastodon, Bluesky
// and Discord, kills the server with SIGKILL again and again while it
// publishes them (restarting it on the same database each time), then
// lets it finish and checks that no post was lost, none was published
// twice, the networks that can be reconciled (Mastodon's Idempotency-Key
// and timeline, Bluesky's record keys) got every post exactly once, and
// every Discord post whose outcome Herald could not know is marked
// needs_attention.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test takes a minute and a half")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashTest(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashTest(t, postgresURL(t))
	})
}

// kill is what one SIGKILL interrupted.
type kill struct {
	at       time.Duration // since the posts fell due
	after    time.Duration // since the server listened
	inFlight map[string]int
	// unanswered are the requests whose answer the killed server
	// certainly never read.
	unanswered []flight
}

func crashTest(t *testing.T, dbURL string) {
	start := time.Now()
	s := newStorage(t, dbURL)
	logPath := filepath.Join(t.TempDir(), "herald.log")
	keepLog(t, logPath)
	acct := initAccount(t, s)
	nets := startNetworks(t, accounts{mastodon: 4, bluesky: 2, discord: 20})
	flags := append(nets.serveFlags(), "--publish-timeout", leaseFlag)

	// The first run connects the profiles and schedules the posts.
	started := time.Now() // no other process of Herald runs from here on
	n := startNode(t, "run 0", s, logPath, flags...)
	listened := time.Now()
	c := n.client(acct.APIKey)
	profiles := nets.connect(t, c, acct.WorkspaceID)
	due := time.Now().Add(5 * time.Second)
	createStart := time.Now()
	posts := schedulePosts(t, []*client.Client{c}, acct.WorkspaceID, profiles, crashPosts, due, 2*time.Second)
	created := time.Since(createStart)

	// Kill the server at random moments while it publishes them: after a
	// random delay, and every other time only once publications are in
	// flight, so that some kills land between a network's processing and
	// Herald's recording. The posts fall due together, so a restarted
	// server finds jobs made ready by the one before and publishes at
	// once. (It readies no more before the job queue's leadership of the
	// killed server runs out, about 15 s.)
	//
	// One run in the middle ends with SIGTERM instead, once publications
	// of its own are in flight: a graceful stop lets them finish and
	// record their outcome, so none of them may need attention.
	var kills []kill
	var stopped []flight
	// stoppedOld counts the requests of killed processes still unanswered
	// at the graceful stop: not the stopped process's (see proxy.inFlight).
	stoppedOld := 0
	time.Sleep(time.Until(due))
	for i := range crashKills + 1 {
		if i > 0 {
			started = time.Now()
			n = startNode(t, fmt.Sprintf("run %d", i), s, logPath, flags...)
			listened = time.Now()
		}
		if i%2 == 0 || i == gracefulRun {
			// Into the thick of publishing, then at a moment when a
			// request of this process is out.
			waitInFlight(nets, started, 12*time.Second)
			time.Sleep(time.Duration(rand.N(800)) * time.Millisecond)
			waitInFlight(nets, started, 2*time.Second)
			time.Sleep(time.Duration(rand.N(10)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rand.N(1500)) * time.Millisecond)
		}
		if i == gracefulRun {
			stopAt := time.Now()
			n.stop(t)
			for _, name := range networkNames {
				stopped = append(stopped, nets.proxies[name].inFlight(started, stopAt)...)
				stoppedOld += len(nets.proxies[name].inFlight(time.Time{}, stopAt)) - len(nets.proxies[name].inFlight(started, stopAt))
			}
			continue
		}
		killedAt := time.Now()
		k := kill{at: killedAt.Sub(due), after: killedAt.Sub(listened), inFlight: map[string]int{}}
		n.kill(t)
		deadAt := time.Now()
		for _, name := range networkNames {
			k.inFlight[name] = len(nets.proxies[name].inFlight(started, killedAt))
			k.unanswered = append(k.unanswered, nets.proxies[name].unanswered(killedAt, deadAt)...)
		}
		kills = append(kills, k)
	}
	killPhase := time.Since(due)

	// The last run finishes the work: interrupted attempts wait for their
	// lease and for the job queue to rescue their jobs.
	n = startNode(t, "final run", s, logPath, flags...)
	c = n.client(acct.APIKey)
	finalStart := time.Now()
	targets := waitFinal(t, c, acct.WorkspaceID, posts, 180*time.Second)
	settle := time.Since(finalStart)
	if code, body := n.ready(t.Context()); code != 200 {
		t.Errorf("/readyz of the final run: %d %s", code, body)
	}
	n.stop(t)

	tl := checkExactlyOnce(t, nets, targets)
	state := map[string]string{}
	for _, tg := range targets {
		state[tg.key()] = tg.state
	}
	// A request whose answer the killed server never read: Mastodon and
	// Bluesky must have been reconciled (checked above), Discord cannot be
	// and must ask for attention.
	inFlight, unanswered := 0, 0
	for _, k := range kills {
		for _, v := range k.inFlight {
			inFlight += v
		}
		unanswered += len(k.unanswered)
		for _, u := range k.unanswered {
			if u.network == discord && state[u.key()] != "needs_attention" {
				t.Errorf("discord target of %q was in flight at a kill and is %s, want needs_attention", u.text, state[u.key()])
			}
		}
	}
	for _, f := range stopped {
		if state[f.key()] != "published" {
			t.Errorf("%s target of %q was in flight at a graceful stop and is %s, want published", f.network, f.text, state[f.key()])
		}
	}
	if inFlight == 0 {
		t.Errorf("no kill interrupted a publication in flight: the test proved nothing about them")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "crash test (%s): %d posts (%d targets) created in %s; %d kills and a graceful stop (%d in flight, and %d of killed processes) in %s, then %s to settle; %s in all\n",
		map[bool]string{true: "postgres", false: "sqlite"}[dbURL != ""], len(posts), len(targets), created.Round(time.Millisecond), len(kills), len(stopped), stoppedOld,
		killPhase.Round(time.Millisecond), settle.Round(time.Millisecond), time.Since(start).Round(time.Second))
	for i, k := range kills {
		fmt.Fprintf(&b, "  kill %d at due+%s, %s after listening: publications in flight mastodon %d, bluesky %d, discord %d; %d answers never read\n",
			i+1, k.at.Round(time.Millisecond), k.after.Round(time.Millisecond), k.inFlight[mastodon], k.inFlight[bluesky], k.inFlight[discord], len(k.unanswered))
	}
	for _, name := range networkNames {
		fmt.Fprintf(&b, "  %-8s published %d, needs_attention %d, failed %d; the network holds %d\n",
			name, tl.published[name], tl.needsAttention[name], tl.failed[name], nets.totalCreated(name))
	}
	errs := grepLog(t, logPath, "level=ERROR")
	fmt.Fprintf(&b, "  in flight at kills %d (%d answers never read); interrupted attempts reconciled %d; discord needs_attention %d, of which %d did reach Discord; %d errors logged",
		inFlight, unanswered, len(grepLog(t, logPath, "reconciling an attempt")), tl.needsAttention[discord], tl.attentionPosted, len(errs))
	for _, e := range errs[:min(len(errs), 5)] {
		b.WriteString("\n    " + e)
	}
	t.Log(b.String())
}

// waitInFlight returns once a publishing request sent after since is in
// flight at any network, or after max.
func waitInFlight(n *networks, since time.Time, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		for _, p := range n.proxies {
			if len(p.inFlight(since, time.Now())) > 0 {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
}
