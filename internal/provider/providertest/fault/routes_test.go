package fault

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// routesFixture is a fake with two routes wrapped by Routes; the handler
// counts the requests it processed.
type routesFixture struct {
	url       string
	routes    *Routes
	processed atomic.Int32
}

const (
	postRoute = "POST /items"
	getRoute  = "GET /items"
)

func setupRoutes(t *testing.T, latency time.Duration) *routesFixture {
	t.Helper()
	f := &routesFixture{}
	closing := make(chan struct{})
	f.routes = &Routes{
		Error: func(w http.ResponseWriter, status int) {
			w.WriteHeader(status)
			io.WriteString(w, "error "+strconv.Itoa(status))
		},
		RateLimited: func(w http.ResponseWriter, retryAfter time.Duration) {
			w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
			w.WriteHeader(http.StatusTooManyRequests)
		},
		Latency:     latency,
		HoldTimeout: time.Minute,
		Closing:     closing,
	}
	h := func(w http.ResponseWriter, r *http.Request) {
		f.processed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(postRoute, f.routes.Wrap(postRoute, h))
	mux.HandleFunc(getRoute, f.routes.Wrap(getRoute, h))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { close(closing); srv.Close() })
	f.url = srv.URL
	return f
}

// answer is what a client saw.
type answer struct {
	Status           int
	Body, RetryAfter string
	Failed           bool // no answer at all
}

func (f *routesFixture) post(t *testing.T, timeout time.Duration) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/items", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{Failed: true}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{Status: resp.StatusCode, Body: string(b), RetryAfter: resp.Header.Get("Retry-After")}
}

func TestRoutesFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		fault         *Fault
		route         string
		want          answer
		wantProcessed int32
	}{
		{name: "no fault", want: answer{Status: 201, Body: `{"ok":true}`}, wantProcessed: 1},
		{name: "status", fault: &Fault{Kind: Status}, want: answer{Status: 503, Body: "error 503"}},
		{name: "status given", fault: &Fault{Kind: Status, Status: 422}, want: answer{Status: 422, Body: "error 422"}},
		{name: "status after", fault: &Fault{Kind: StatusAfter},
			want: answer{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}, wantProcessed: 1},
		{name: "rate limit", fault: &Fault{Kind: RateLimit}, want: answer{Status: 429, RetryAfter: "30"}},
		{name: "rate limit given", fault: &Fault{Kind: RateLimit, RetryAfter: 2 * time.Second}, want: answer{Status: 429, RetryAfter: "2"}},
		{name: "malformed", fault: &Fault{Kind: Malformed}, want: answer{Status: 200, Body: `{"id": "12`}, wantProcessed: 1},
		{name: "timeout before", fault: &Fault{Kind: TimeoutBefore}, want: answer{Failed: true}},
		{name: "timeout after", fault: &Fault{Kind: TimeoutAfter}, want: answer{Failed: true}, wantProcessed: 1},
		{name: "fault on another route", fault: &Fault{Kind: Status}, route: getRoute, want: answer{Status: 201, Body: `{"ok":true}`}, wantProcessed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setupRoutes(t, 0)
			if tt.fault != nil {
				route := tt.route
				if route == "" {
					route = postRoute
				}
				f.routes.Inject(route, *tt.fault)
			}
			got := f.post(t, 200*time.Millisecond)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if n := f.processed.Load(); n != tt.wantProcessed {
				t.Errorf("processed %d requests, want %d", n, tt.wantProcessed)
			}
			if n := f.routes.Requests(postRoute); n != 1 {
				t.Errorf("Requests(%q) = %d, want 1", postRoute, n)
			}
		})
	}
}

func TestRoutesTimesAndClear(t *testing.T) {
	t.Parallel()
	f := setupRoutes(t, 0)
	f.routes.Inject(postRoute, Fault{Kind: Status, Times: 2})
	f.routes.Inject(postRoute, Fault{Kind: RateLimit})
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, f.post(t, time.Second).Status)
	}
	f.routes.Inject(postRoute, Fault{Kind: Status, Times: -1})
	got = append(got, f.post(t, time.Second).Status, f.post(t, time.Second).Status)
	f.routes.Clear()
	got = append(got, f.post(t, time.Second).Status)
	if diff := cmp.Diff([]int{503, 503, 429, 201, 503, 503, 201}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := f.routes.Requests(postRoute); n != 7 {
		t.Errorf("Requests = %d, want 7", n)
	}
}

func TestRoutesLatency(t *testing.T) {
	t.Parallel()
	f := setupRoutes(t, 30*time.Millisecond)
	start := time.Now()
	if got := f.post(t, time.Second); got.Status != 201 {
		t.Fatalf("answer = %+v", got)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered after %v, before the latency", d)
	}
}
