package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
)

// listStatus spreads the seeded posts over statuses as a workspace that has
// published for a while would have them: 60% posted, 20% drafts, 10%
// scheduled, 10% failed.
func listStatus(i int) herald.PostStatus {
	switch i % 10 {
	case 6, 7:
		return herald.StatusDraft
	case 8:
		return herald.StatusScheduled
	case 9:
		return herald.StatusError
	}
	return herald.StatusPosted
}

// BenchmarkListPosts measures GET /post pages of 50 from a workspace of
// HERALD_BENCH_POSTS posts (default 1,000,000), each with one target, on
// SQLite and PostgreSQL: the first page, the first page of one status and
// of two, and deep pages (page 1,000 and page 10,000: offsets 50,000 and
// 500,000). HERALD_BENCH_CLIENTS sets the concurrent clients (default 1
// and 8). Heavy: seeding takes a minute or more per database.
func BenchmarkListPosts(b *testing.B) {
	requireHeavy(b)
	posts := envInts(b, "HERALD_BENCH_POSTS", 1_000_000)[0]
	clients := envInts(b, "HERALD_BENCH_CLIENTS", 1, 8)
	queries := []struct{ name, query string }{
		{"first-page", "perPage=50"},
		{"status=DRAFT", "perPage=50&statuses=DRAFT"},
		{"status=ERROR", "perPage=50&statuses=ERROR"},
		{"statuses=DRAFT,ERROR", "perPage=50&statuses=DRAFT,ERROR"},
		{"page=1000", "perPage=50&page=1000"},
		{"page=10000", "perPage=50&page=10000"},
		{"status=DRAFT/page=1000", "perPage=50&statuses=DRAFT&page=1000"},
	}
	for _, o := range benchDatabases() {
		db := o.open(b)
		s := newSetup(b, db)
		// The profile comes from the API, as a user's would.
		first := s.start(b)
		profile := s.connectFeed(b, first)
		if err := first.Stop(); err != nil {
			b.Fatal(err)
		}
		s.seed(b, Seed{ProfileID: profile, Provider: "feed", Posts: posts, Status: listStatus})
		srv := s.start(b)
		rss, _ := srv.RSS()
		b.Logf("%s: server RSS after start with %d posts: %.1f MiB", db.name, posts, float64(rss)/(1<<20))
		for _, q := range queries {
			for _, n := range clients {
				b.Run(fmt.Sprintf("%s/%s/clients=%d", db.name, q.name, n), func(b *testing.B) {
					listLoad(b, srv, s.creds, q.query, n)
				})
			}
		}
		if err := srv.Stop(); err != nil {
			b.Error(err)
		}
	}
}

func listLoad(b *testing.B, srv *Server, c *Credentials, query string, n int) {
	url := srv.URL + "/api/_public/v1/post?workspaceId=" + c.WorkspaceID + "&" + query
	do := func(ctx context.Context, hc *http.Client, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-API-Key", c.APIKey)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		return Expect(resp, http.StatusOK)
	}
	hc := NewClient(n)
	// The page must be a full one, or the figure would flatter an empty answer.
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-API-Key", c.APIKey)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var page []json.RawMessage
	err = json.NewDecoder(resp.Body).Decode(&page)
	Drain(resp)
	if err != nil || len(page) != 50 {
		b.Fatalf("GET %s: %d posts, %v; want a full page of 50", url, len(page), err)
	}
	Run(context.Background(), Load{Clients: n, Requests: max(2*n, 20), Do: do, Client: hc})
	logLoad(b, "before")
	b.ResetTimer()
	res := Run(context.Background(), Load{Clients: n, Requests: b.N, Do: do, Client: hc})
	b.StopTimer()
	logLoad(b, "after")
	if res.Errors > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstError)
	}
	b.ReportMetric(res.RPS(), "req/s")
	b.ReportMetric(ms(res.Percentile(50)), "p50-ms")
	b.ReportMetric(ms(res.Percentile(99)), "p99-ms")
	b.Logf("%s", res)
}
