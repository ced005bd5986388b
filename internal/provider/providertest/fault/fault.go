package fault

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Kind is a way for a fake to misbehave on a request. Each fake re-exports
// these under its own names (mastodonfake.FaultStatus,
// discordfake.ServerError).
type Kind int

const (
	// Status answers an error status without processing the request.
	Status Kind = iota + 1
	// StatusAfter processes the request, then answers an error status, like
	// a proxy that gave up after the server committed.
	StatusAfter
	// TimeoutBefore holds the request without reading its body and never
	// answers: nothing is processed.
	TimeoutBefore
	// TimeoutAfter processes the request and never answers, like a response
	// lost on the way back.
	TimeoutAfter
	// RateLimit answers 429 without processing the request.
	RateLimit
	// Malformed processes the request and answers 200 with a body that is
	// not what the API promises.
	Malformed
)

// Queue is a first-in, first-out list of pending faults, safe for
// concurrent use. F is the fake's own fault type; the zero Queue is empty
// and ready.
type Queue[F any] struct {
	mu      sync.Mutex
	pending []*pending[F]
}

type pending[F any] struct {
	fault F
	times int // left to use; negative: forever
}

// Add queues f for the next times requests it matches: 0 means once, a
// negative number every matching request until Clear.
func (q *Queue[F]) Add(f F, times int) {
	if times == 0 {
		times = 1
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, &pending[F]{fault: f, times: times})
}

// Take uses the first pending fault that match accepts, removing it when
// it has been used as many times as it was queued for.
func (q *Queue[F]) Take(match func(F) bool) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.pending {
		if !match(p.fault) {
			continue
		}
		if p.times > 0 {
			p.times--
			if p.times == 0 {
				q.pending = slices.Delete(q.pending, i, i+1)
			}
		}
		return p.fault, true
	}
	var zero F
	return zero, false
}

// Clear removes every pending fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = nil
}

// Hold blocks until the client gives up on r, closing is closed (the fake
// shuts down), or timeout passes when it is positive: an answer that never
// comes. What happens to the connection afterwards is the fake's choice.
func Hold(r *http.Request, closing <-chan struct{}, timeout time.Duration) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-r.Context().Done():
	case <-closing:
	case <-expired:
	}
}

// Delay waits d before a fake answers r, like a network d away. It reports
// false when the client gave up or the fake began to shut down first: then
// nobody is waiting for an answer.
func Delay(r *http.Request, closing <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-closing:
		return false
	}
}

// WriteProxyError writes the HTML page a front proxy answers with when it
// gives up on the server behind it (502, 504): what a client gets instead
// of the API's JSON after a request that may have been processed.
func WriteProxyError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html><body><h1>" + strconv.Itoa(status) + " " + http.StatusText(status) + "</h1></body></html>"))
}
