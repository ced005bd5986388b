package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
)

// callRecorder sits in front of the Discord fake and records when each
// execute-webhook call arrived and when it was answered, by message
// content: the moment Herald called the network.
type callRecorder struct {
	next http.Handler

	mu    sync.Mutex
	calls map[string][]call // by content
	n     int
	cond  *sync.Cond
}

type call struct{ arrived, answered time.Time }

func newCallRecorder(next http.Handler) *callRecorder {
	r := &callRecorder{next: next, calls: map[string][]call{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (rec *callRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, "/webhooks/") {
		rec.next.ServeHTTP(w, r)
		return
	}
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var msg struct {
		Content string `json:"content"`
	}
	json.Unmarshal(body, &msg)
	rec.next.ServeHTTP(w, r)
	rec.mu.Lock()
	rec.calls[msg.Content] = append(rec.calls[msg.Content], call{arrived, time.Now()})
	if len(rec.calls[msg.Content]) == 1 {
		rec.n++
	}
	rec.cond.Broadcast()
	rec.mu.Unlock()
}

// wait waits until n distinct messages were sent or the deadline passes,
// and returns how many were.
func (rec *callRecorder) wait(n int, deadline time.Time) int {
	t := time.AfterFunc(time.Until(deadline), func() {
		rec.mu.Lock()
		rec.cond.Broadcast()
		rec.mu.Unlock()
	})
	defer t.Stop()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for rec.n < n && time.Now().Before(deadline) {
		rec.cond.Wait()
	}
	return rec.n
}

// BenchmarkPublish schedules HERALD_BENCH_TARGETS (default 10,000) targets
// due at the same second, spread over HERALD_BENCH_PROFILES (default 500)
// Discord webhooks so that no account's posting quota (30 a minute) holds
// them back, against a Discord fake that answers every call in 50 ms, with
// the real server's --workers set to each of HERALD_BENCH_WORKERS (default
// 50 and 500). It reports the time from scheduledAt until every target was
// sent and answered, and the p50/p99 lag between scheduledAt and the call.
// HERALD_BENCH_LEAD is how far ahead they are scheduled (default 20s plus
// 10ms a target). Heavy.
func BenchmarkPublish(b *testing.B) {
	requireHeavy(b)
	targets := envInts(b, "HERALD_BENCH_TARGETS", 10_000)[0]
	profiles := envInts(b, "HERALD_BENCH_PROFILES", 500)[0]
	workers := envInts(b, "HERALD_BENCH_WORKERS", 50, 500)
	// Creating the posts through the API must end before their time: allow
	// 100 a second, which a loaded two-core machine manages.
	lead := envDuration(b, "HERALD_BENCH_LEAD", 20*time.Second+time.Duration(targets)*10*time.Millisecond)
	for _, db := range benchDatabases() {
		for _, w := range workers {
			b.Run(fmt.Sprintf("%s/workers=%d", db.name, w), func(b *testing.B) {
				publishRun(b, db.open(b), w, targets, profiles, lead, false)
			})
		}
	}
}

// BenchmarkPublishInProcess is BenchmarkPublish on SQLite with the server
// in the benchmark's process (cli.Run), for `go test -cpuprofile`: the
// profile then shows where the publishing path spends its time (the
// Discord fake and the API calls that schedule the posts are in it too).
func BenchmarkPublishInProcess(b *testing.B) {
	requireHeavy(b)
	targets := envInts(b, "HERALD_BENCH_TARGETS", 10_000)[0]
	profiles := envInts(b, "HERALD_BENCH_PROFILES", 500)[0]
	w := envInts(b, "HERALD_BENCH_WORKERS", 50)[0]
	lead := envDuration(b, "HERALD_BENCH_LEAD", 20*time.Second+time.Duration(targets)*10*time.Millisecond)
	publishRun(b, sqliteDB(b), w, targets, profiles, lead, true)
}

func publishRun(b *testing.B, db database, workers, targets, profiles int, lead time.Duration, inProcess bool) {
	fake := discordfake.New(discordfake.WithLatency(50 * time.Millisecond))
	defer fake.Close()
	rec := newCallRecorder(fake.Handler())
	front := httptest.NewServer(rec)
	defer front.Close()
	api := front.URL + "/api"

	s := newSetup(b, db)
	flags := []string{"--workers", fmt.Sprint(workers), "--allow-private-networks=true", "--discord-api-url", api}
	var srv *Server
	if inProcess {
		ctx, cancel := context.WithCancel(context.Background())
		url, done := serveInProcess(b, ctx, append(append(append([]string{"serve", "--addr", "127.0.0.1:0"}, db.args...), serveArgs...), flags...))
		defer func() { cancel(); <-done }()
		srv = &Server{URL: url, PID: os.Getpid()}
	} else {
		srv = s.start(b, flags...)
	}
	c := s.client(srv)
	ctx := context.Background()

	// Connect the profiles as a user would, with webhook URLs.
	ids := make([]string, profiles)
	res := Run(ctx, Load{Clients: 16, Requests: profiles, Do: func(ctx context.Context, _ *http.Client, i int) error {
		wh := fake.AddWebhook(fmt.Sprintf("bench-%d", i))
		p, err := c.ConnectProfile(ctx, s.creds.WorkspaceID, client.ProfileCredentials{Provider: "discord", WebhookURL: api + "/webhooks/" + wh.ID + "/" + wh.Token})
		if err != nil {
			return err
		}
		ids[i] = p.ID
		return nil
	}})
	if res.Errors > 0 {
		b.Fatalf("connect profiles: %d errors; first: %v", res.Errors, res.FirstError)
	}

	// Schedule every target for the same second, one post per target.
	at := time.Now().Add(lead).Truncate(time.Second)
	t0 := time.Now()
	res = Run(ctx, Load{Clients: 32, Requests: targets, Do: func(ctx context.Context, _ *http.Client, i int) error {
		_, err := c.CreatePost(ctx, s.creds.WorkspaceID, client.PostInput{
			Caption: fmt.Sprintf("Benchmark publication %d", i), SocialProfileIDs: []string{ids[i%profiles]}, ScheduledAt: &at})
		return err
	}})
	if res.Errors > 0 {
		b.Fatalf("schedule posts: %d errors; first: %v", res.Errors, res.FirstError)
	}
	b.Logf("scheduled %d posts in %s (%.0f/s) for %s", targets, time.Since(t0).Round(time.Millisecond), res.RPS(), at.Format(time.RFC3339))
	if time.Until(at) < time.Second {
		b.Fatalf("scheduling ended %s before the posts' time; raise HERALD_BENCH_LEAD", time.Until(at))
	}
	if n := rec.wait(1, at.Add(-100*time.Millisecond)); n > 0 {
		b.Fatalf("%d targets were published before their time", n)
	}
	logLoad(b, "at the posts' time")
	cpu0, _ := srv.CPU()
	b.ResetTimer()
	got := rec.wait(targets, at.Add(15*time.Minute))
	b.StopTimer()
	cpu1, _ := srv.CPU()
	logLoad(b, "after")
	if got < targets {
		b.Fatalf("only %d of %d targets were published within 15 minutes", got, targets)
	}

	rec.mu.Lock()
	var lags []time.Duration
	var last, lastAnswer time.Time
	dup := 0
	for _, cs := range rec.calls {
		first := cs[0]
		lags = append(lags, first.arrived.Sub(at))
		if first.arrived.After(last) {
			last = first.arrived
		}
		if first.answered.After(lastAnswer) {
			lastAnswer = first.answered
		}
		dup += len(cs) - 1
	}
	rec.mu.Unlock()
	slices.Sort(lags)
	if dup > 0 {
		b.Errorf("%d targets were sent more than once", dup)
	}
	b.ReportMetric(lastAnswer.Sub(at).Seconds(), "all-published-s")
	b.ReportMetric(ms(Percentile(lags, 50)), "lag-p50-ms")
	b.ReportMetric(ms(Percentile(lags, 99)), "lag-p99-ms")
	b.ReportMetric(ms(lags[0]), "lag-min-ms")
	b.ReportMetric(float64(targets)/lastAnswer.Sub(at.Add(lags[0])).Seconds(), "targets/s")
	b.ReportMetric((cpu1 - cpu0).Seconds(), "server-cpu-s")
	b.Logf("%s, workers=%d: %d targets; first call %s after scheduledAt, last %s; all answered %s after; lag p50 %s, p99 %s",
		db.name, workers, targets, lags[0].Round(time.Millisecond), last.Sub(at).Round(time.Millisecond),
		lastAnswer.Sub(at).Round(time.Millisecond), Percentile(lags, 50).Round(time.Millisecond), Percentile(lags, 99).Round(time.Millisecond))
}
