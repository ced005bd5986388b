package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
)

func pgURL(tb testing.TB) string { return pgtest.URL(tb) }

// BenchmarkCreatePost measures POST /post (a draft with a caption) through
// the real server over loopback TCP, with HERALD_BENCH_CLIENTS concurrent
// clients (default 16 and 64), against the same load on a bare net/http
// handler in a process of its own: the ceiling of this machine, this load
// generator and net/http. b.N is the number of requests; run it with
// -benchtime=20000x or more for stable percentiles.
func BenchmarkCreatePost(b *testing.B) {
	clients := envInts(b, "HERALD_BENCH_CLIENTS", 16, 64)
	type target struct {
		name string
		url  string
		key  string
		ws   string
		pid  int
	}
	var targets []target

	bare, err := Start(context.Background(), os.Args[0], []string{bareServerEnv + "=1"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bare.Stop() })
	targets = append(targets, target{name: "bare", url: bare.URL, key: "none", ws: "none", pid: bare.PID})

	s := newSetup(b, sqliteDB(b))
	srv := s.start(b)
	targets = append(targets, target{name: "herald-sqlite", url: srv.URL, key: s.creds.APIKey, ws: s.creds.WorkspaceID, pid: srv.PID})
	if os.Getenv(pgtest.EnvVar) != "" {
		s := newSetup(b, postgresDB(b))
		srv := s.start(b)
		targets = append(targets, target{name: "herald-postgres", url: srv.URL, key: s.creds.APIKey, ws: s.creds.WorkspaceID, pid: srv.PID})
	}

	rps := map[string]float64{}
	for _, n := range clients {
		for _, tg := range targets {
			name := fmt.Sprintf("%s/clients=%d", tg.name, n)
			b.Run(name, func(b *testing.B) {
				res := createLoad(b, tg.url, tg.key, tg.ws, tg.pid, n)
				rps[name] = res.RPS()
			})
		}
		for _, tg := range targets[1:] {
			h, c := rps[fmt.Sprintf("%s/clients=%d", tg.name, n)], rps[fmt.Sprintf("bare/clients=%d", n)]
			if h > 0 && c > 0 {
				b.Logf("%s/clients=%d: %.0f req/s = %.1f%% of the bare handler's %.0f req/s", tg.name, n, h, 100*h/c, c)
			}
		}
	}
}

// createLoad sends b.N POST /post requests with n clients and reports the
// throughput, latency percentiles and the server's CPU use.
func createLoad(b *testing.B, base, key, ws string, pid, n int) Result {
	url := base + "/api/_public/v1/post?workspaceId=" + ws
	do := func(ctx context.Context, c *http.Client, i int) error {
		body := fmt.Sprintf(`{"caption":"Benchmark draft %d: an ordinary caption with a link https://example.com/%d #herald"}`, i, i)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", key)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		return Expect(resp, http.StatusCreated)
	}
	hc := NewClient(n)
	// Warm up: connections, the server's caches and the database's pages.
	Run(context.Background(), Load{Clients: n, Requests: 500, Do: do, Client: hc})
	logLoad(b, "before")
	cpu0, _ := CPUTime(pid)
	b.ResetTimer()
	res := Run(context.Background(), Load{Clients: n, Requests: b.N, Do: do, Client: hc})
	b.StopTimer()
	cpu1, _ := CPUTime(pid)
	logLoad(b, "after")
	if res.Errors > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstError)
	}
	b.ReportMetric(res.RPS(), "req/s")
	b.ReportMetric(ms(res.Percentile(50)), "p50-ms")
	b.ReportMetric(ms(res.Percentile(99)), "p99-ms")
	if res.Elapsed > 0 && pid != os.Getpid() {
		// The server's CPU per request is what contention on a shared
		// machine changes least: it says how many requests two idle cores
		// could serve.
		b.ReportMetric(100*(cpu1-cpu0).Seconds()/res.Elapsed.Seconds(), "server-cpu-%")
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(res.Requests), "server-cpu-µs/req")
	}
	b.Logf("%s", res)
	return res
}

// BenchmarkCreatePostInProcess is BenchmarkCreatePost/herald-sqlite with the
// server in the benchmark's own process (cli.Run), so that
// `go test -cpuprofile` and `-memprofile` see the server's code. The load
// generator's own cost is in the profile too (net/http client frames).
func BenchmarkCreatePostInProcess(b *testing.B) {
	n := envInts(b, "HERALD_BENCH_CLIENTS", 16)[0]
	db := sqliteDB(b)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Init(ctx, heraldBinary(b), db.args...)
	if err != nil {
		b.Fatal(err)
	}
	url, done := serveInProcess(b, ctx, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, db.args...), serveArgs...))
	b.Cleanup(func() { cancel(); <-done })
	b.ResetTimer()
	createLoad(b, url, c.APIKey, c.WorkspaceID, os.Getpid(), n)
}
