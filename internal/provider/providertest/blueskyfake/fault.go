package blueskyfake

import (
	"net/http"
	"strconv"
	"time"
)

// FaultKind is a way for the fake to misbehave on one route.
type FaultKind int

const (
	// FaultStatus answers Fault.Status (a 5xx by default 503) with an error
	// body and does not process the request.
	FaultStatus FaultKind = iota + 1
	// FaultStatusAfter processes the request, then answers Fault.Status
	// (default 502), like a proxy that gave up after the server committed.
	FaultStatusAfter
	// FaultTimeoutBefore holds the request without reading its body and
	// never answers: nothing is processed. The connection is dropped when
	// the client gives up, the server closes, or HoldTimeout passes.
	FaultTimeoutBefore
	// FaultTimeoutAfter processes the request (the record exists) and then
	// never answers, like a response lost on the way back.
	FaultTimeoutAfter
	// FaultRateLimit answers 429 RateLimitExceeded with Retry-After and
	// ratelimit-* headers
	// and does not process the request.
	FaultRateLimit
	// FaultMalformed processes the request and answers 200 with a body that
	// is not JSON.
	FaultMalformed
)

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// Status for FaultStatus and FaultStatusAfter.
	Status int
	// RetryAfter for FaultRateLimit (default 30 s).
	RetryAfter time.Duration
	// Times is how many matching requests fail (0 means 1; negative means
	// every request until ClearFaults).
	Times int
}

// InjectFault makes the next requests to route fail as f says. route is
// "METHOD /path" with the path as routed, for example "POST /xrpc/com.atproto.repo.putRecord"
// or "GET /xrpc/com.atproto.repo.getRecord".
func (s *Server) InjectFault(route string, f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], &f)
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]*Fault{}
}

// takeFault pops the next fault for route, if any.
func (s *Server) takeFault(route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.faults[route]
	if len(list) == 0 {
		return nil
	}
	f := *list[0]
	if list[0].Times > 0 {
		list[0].Times--
		if list[0].Times == 0 {
			s.faults[route] = list[1:]
		}
	}
	return &f
}

// hold blocks until the client goes away, the server closes or
// HoldTimeout passes, then drops the connection without an answer.
func (s *Server) hold(r *http.Request) {
	t := time.NewTimer(s.opts.HoldTimeout)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-s.closing:
	case <-t.C:
	}
	panic(http.ErrAbortHandler)
}

// faultWriter wraps a handler's response for the "after" faults: the
// handler runs for real, and what reaches the client is replaced.
type faultWriter struct {
	header http.Header
	status int
}

func (w *faultWriter) Header() http.Header         { return w.header }
func (w *faultWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *faultWriter) WriteHeader(status int)      { w.status = status }

// withFault applies a pending fault of route around h.
func (s *Server) withFault(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.countRequest(route)
		if s.opts.Latency > 0 {
			t := time.NewTimer(s.opts.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		f := s.takeFault(route)
		if f == nil {
			h(w, r)
			return
		}
		switch f.Kind {
		case FaultStatus:
			st := f.Status
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			name := "InternalServerError"
			if st == http.StatusBadGateway {
				name = "UpstreamFailure"
			} else if st == http.StatusServiceUnavailable {
				name = "NotEnoughResources"
			}
			writeError(w, st, name, http.StatusText(st))
		case FaultStatusAfter:
			h(&faultWriter{header: http.Header{}}, r)
			st := f.Status
			if st == 0 {
				st = http.StatusBadGateway
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(st)
			_, _ = w.Write([]byte("<html><body><h1>" + strconv.Itoa(st) + " " + http.StatusText(st) + "</h1></body></html>"))
		case FaultTimeoutBefore:
			s.hold(r)
		case FaultTimeoutAfter:
			h(&faultWriter{header: http.Header{}}, r)
			s.hold(r)
		case FaultRateLimit:
			ra := f.RetryAfter
			if ra <= 0 {
				ra = 30 * time.Second
			}
			reset := s.now().Add(ra).UTC()
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
			w.Header().Set("RateLimit-Limit", "3000")
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			w.Header().Set("RateLimit-Policy", "3000;w=300")
			writeError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		case FaultMalformed:
			h(&faultWriter{header: http.Header{}}, r)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id": "12`))
		default:
			h(w, r)
		}
	}
}
