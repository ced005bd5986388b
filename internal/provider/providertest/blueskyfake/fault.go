package blueskyfake

import (
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// FaultKind is a way for the fake to misbehave on one route.
type FaultKind = fault.Kind

const (
	// FaultStatus answers Fault.Status (a 5xx by default 503) with an error
	// body and does not process the request.
	FaultStatus = fault.Status
	// FaultStatusAfter processes the request, then answers Fault.Status
	// (default 502), like a proxy that gave up after the server committed.
	FaultStatusAfter = fault.StatusAfter
	// FaultTimeoutBefore holds the request without reading its body and
	// never answers: nothing is processed. The connection is dropped when
	// the client gives up, the server closes, or HoldTimeout passes.
	FaultTimeoutBefore = fault.TimeoutBefore
	// FaultTimeoutAfter processes the request (the record exists) and then
	// never answers, like a response lost on the way back.
	FaultTimeoutAfter = fault.TimeoutAfter
	// FaultRateLimit answers 429 RateLimitExceeded with Retry-After and
	// ratelimit-* headers and does not process the request.
	FaultRateLimit = fault.RateLimit
	// FaultMalformed processes the request and answers 200 with a body that
	// is not JSON.
	FaultMalformed = fault.Malformed
)

// Fault is one injected failure: its Kind; Status for FaultStatus and
// FaultStatusAfter; RetryAfter for FaultRateLimit (default 30 s); Times,
// how many matching requests fail (0 means 1; negative means every request
// until ClearFaults).
type Fault = fault.Fault

// InjectFault makes the next requests to route fail as f says. route is
// "METHOD /path" with the path as routed, for example "POST /xrpc/com.atproto.repo.putRecord"
// or "GET /xrpc/com.atproto.repo.getRecord".
func (s *Server) InjectFault(route string, f Fault) { s.faults.Inject(route, f) }

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// faultRoutes injects faults into every route with the PDS's own answers:
// XRPC error names and the IETF-draft ratelimit-* headers.
func (s *Server) faultRoutes() *fault.Routes {
	return &fault.Routes{
		Error: func(w http.ResponseWriter, status int) {
			name := "InternalServerError"
			if status == http.StatusBadGateway {
				name = "UpstreamFailure"
			} else if status == http.StatusServiceUnavailable {
				name = "NotEnoughResources"
			}
			writeError(w, status, name, http.StatusText(status))
		},
		RateLimited: func(w http.ResponseWriter, ra time.Duration) {
			reset := s.now().Add(ra).UTC()
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
			w.Header().Set("RateLimit-Limit", "3000")
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			w.Header().Set("RateLimit-Policy", "3000;w=300")
			writeError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		},
		Latency:     s.opts.Latency,
		HoldTimeout: s.opts.HoldTimeout,
		Closing:     s.closing,
	}
}
