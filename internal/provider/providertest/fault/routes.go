package fault

import (
	"net/http"
	"sync"
	"time"
)

// Fault is one failure injected on a route of a fake that serves many
// routes (mastodonfake.Fault, blueskyfake.Fault).
type Fault struct {
	Kind Kind
	// Status for Status (default 503) and StatusAfter (default 502).
	Status int
	// RetryAfter for RateLimit (default 30 s).
	RetryAfter time.Duration
	// Times is how many matching requests fail (0 means 1; negative means
	// every request until the faults are cleared).
	Times int
}

// Routes counts, delays and fails the requests of a fake's routes: Wrap
// each route's handler. Fill in the exported fields before the first
// request; the methods are safe for concurrent use.
type Routes struct {
	// Error writes the network's error body for a Status fault.
	Error func(w http.ResponseWriter, status int)
	// RateLimited writes the network's 429 announcing retryAfter, headers
	// included.
	RateLimited func(w http.ResponseWriter, retryAfter time.Duration)
	// Latency delays every answer, honouring cancellation.
	Latency time.Duration
	// HoldTimeout bounds how long timeout faults hold a request.
	HoldTimeout time.Duration
	// Closing is closed when the fake shuts down; it releases held and
	// delayed requests.
	Closing <-chan struct{}

	queue    Queue[routeFault]
	mu       sync.Mutex
	requests map[string]int
}

type routeFault struct {
	route string
	fault Fault
}

// Inject makes the next requests to route fail as f says. route is the
// pattern the handler was wrapped with, "METHOD /path" as routed.
func (rs *Routes) Inject(route string, f Fault) {
	rs.queue.Add(routeFault{route: route, fault: f}, f.Times)
}

// Clear removes every pending fault.
func (rs *Routes) Clear() { rs.queue.Clear() }

// Requests returns how many requests reached route, failed ones included.
func (rs *Routes) Requests(route string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.requests[route]
}

// Wrap counts every request to route, delays it by Latency, and applies the
// next pending fault of route around h.
func (rs *Routes) Wrap(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rs.count(route)
		if !Delay(r, rs.Closing, rs.Latency) {
			return
		}
		rf, ok := rs.queue.Take(func(rf routeFault) bool { return rf.route == route })
		if !ok {
			h(w, r)
			return
		}
		f := rf.fault
		switch f.Kind {
		case Status:
			st := f.Status
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			rs.Error(w, st)
		case StatusAfter:
			h(&discard{header: http.Header{}}, r)
			st := f.Status
			if st == 0 {
				st = http.StatusBadGateway
			}
			WriteProxyError(w, st)
		case TimeoutBefore:
			rs.hold(r)
		case TimeoutAfter:
			h(&discard{header: http.Header{}}, r)
			rs.hold(r)
		case RateLimit:
			ra := f.RetryAfter
			if ra <= 0 {
				ra = 30 * time.Second
			}
			rs.RateLimited(w, ra)
		case Malformed:
			h(&discard{header: http.Header{}}, r)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id": "12`))
		default:
			h(w, r)
		}
	}
}

func (rs *Routes) count(route string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.requests == nil {
		rs.requests = map[string]int{}
	}
	rs.requests[route]++
}

// hold never answers: after Hold it drops the connection, so the client
// sees a broken connection once it stops waiting rather than an empty 200.
func (rs *Routes) hold(r *http.Request) {
	Hold(r, rs.Closing, rs.HoldTimeout)
	panic(http.ErrAbortHandler)
}

// discard stands in for the client while a fault's handler runs for real:
// the request is processed, and what it answers never reaches the client.
type discard struct {
	header http.Header
}

func (w *discard) Header() http.Header         { return w.header }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(status int)      {}
