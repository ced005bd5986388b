package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// BenchmarkIdleMemory measures the resident memory of an idle `herald
// serve` on a fresh database: after start (and HERALD_BENCH_SETTLE, default
// 5s), and again after a burst of 5,000 POST /post and 5,000 GET /post
// followed by HERALD_BENCH_SETTLE of idle.
func BenchmarkIdleMemory(b *testing.B) {
	settle := envDuration(b, "HERALD_BENCH_SETTLE", 5*time.Second)
	for _, db := range benchDatabases() {
		b.Run(db.name, func(b *testing.B) {
			s := newSetup(b, db.open(b))
			srv := s.start(b)
			time.Sleep(settle) // idle is what is measured
			started, err := srv.RSS()
			if err != nil {
				b.Fatal(err)
			}
			post := srv.URL + "/api/_public/v1/post?workspaceId=" + s.creds.WorkspaceID
			res := Run(context.Background(), Load{Clients: 16, Requests: 10_000, Do: func(ctx context.Context, c *http.Client, i int) error {
				var req *http.Request
				if i%2 == 0 {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, post, stringsReader(fmt.Sprintf(`{"caption":"Burst %d"}`, i)))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, post+"&perPage=50", nil)
				}
				req.Header.Set("X-API-Key", s.creds.APIKey)
				resp, err := c.Do(req)
				if err != nil {
					return err
				}
				if i%2 == 0 {
					return Expect(resp, http.StatusCreated)
				}
				return Expect(resp, http.StatusOK)
			}})
			if res.Errors > 0 {
				b.Fatalf("burst: %d errors; first: %v", res.Errors, res.FirstError)
			}
			peak, _ := srv.RSS()
			time.Sleep(settle)
			after, err := srv.RSS()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(mib(started), "rss-start-MiB")
			b.ReportMetric(mib(peak), "rss-burst-MiB")
			b.ReportMetric(mib(after), "rss-idle-after-MiB")
			b.Logf("burst: %s", res)
		})
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// BenchmarkIdleCPU measures the CPU an idle server uses over
// HERALD_BENCH_IDLE (default 60s), on an empty database and with
// HERALD_BENCH_POSTS (default 1,000,000) future posts whose targets are
// scheduled and whose publish jobs wait in River's river_job table, on
// SQLite and PostgreSQL. Heavy.
func BenchmarkIdleCPU(b *testing.B) {
	requireHeavy(b)
	posts := envInts(b, "HERALD_BENCH_POSTS", 1_000_000)[0]
	idle := envDuration(b, "HERALD_BENCH_IDLE", 60*time.Second)
	for _, db := range benchDatabases() {
		for _, n := range []int{0, posts} {
			b.Run(fmt.Sprintf("%s/posts=%d", db.name, n), func(b *testing.B) {
				s := newSetup(b, db.open(b))
				if n > 0 {
					first := s.start(b)
					profile := s.connectFeed(b, first)
					if err := first.Stop(); err != nil {
						b.Fatal(err)
					}
					// Future posts, one every 30 seconds from tomorrow on (a
					// year of them), each target's job queued as the engine
					// queues it.
					from := time.Now().Add(24 * time.Hour).Truncate(time.Second)
					s.seed(b, Seed{ProfileID: profile, Provider: "feed", Posts: n, Jobs: true,
						Status:      func(int) herald.PostStatus { return herald.StatusScheduled },
						ScheduledAt: func(i int) time.Time { return from.Add(time.Duration(i) * 30 * time.Second) }})
				}
				srv := s.start(b)
				time.Sleep(10 * time.Second) // start-up work (migrations check, first polls) is not idle
				logLoad(b, "before")
				cpu0, err := srv.CPU()
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(idle)
				cpu1, err := srv.CPU()
				if err != nil {
					b.Fatal(err)
				}
				logLoad(b, "after")
				rss, _ := srv.RSS()
				used := cpu1 - cpu0
				b.ReportMetric(used.Seconds(), "cpu-s")
				b.ReportMetric(100*used.Seconds()/idle.Seconds(), "cpu-%")
				b.ReportMetric(mib(rss), "rss-MiB")
				b.Logf("%s with %d future posts: %.2f CPU seconds over %s idle (%.2f%% of one core), RSS %.1f MiB",
					s.db.name, n, used.Seconds(), idle, 100*used.Seconds()/idle.Seconds(), mib(rss))
			})
		}
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
