package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// NewClient returns an HTTP client for a load of n concurrent clients: it
// keeps n connections alive to the one host, so that the load measures
// requests, not TCP handshakes.
func NewClient(n int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        n,
			MaxIdleConnsPerHost: n,
			MaxConnsPerHost:     n,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// Load is a closed-loop load: Clients goroutines each send a request, wait
// for its answer, and send the next, until Requests requests were sent or
// Duration passed (whichever is set; Requests wins when both are).
type Load struct {
	Clients  int
	Requests int
	Duration time.Duration
	// Do sends request number i (from 0) with c and returns an error when
	// the answer is not the expected one. It must read and close the body.
	Do func(ctx context.Context, c *http.Client, i int) error
	// Client is the client to use; by default NewClient(Clients).
	Client *http.Client
}

// Result is what a load measured.
type Result struct {
	// Requests counts answered requests, errors included.
	Requests int
	// Errors counts requests whose Do returned an error; FirstError is the
	// first of them.
	Errors     int
	FirstError error
	// Elapsed is the wall time from the first request to the last answer.
	Elapsed time.Duration
	// Latencies holds each successful request's time, sorted.
	Latencies []time.Duration
}

// Run runs the load and returns what it measured. It stops early when ctx
// ends.
func Run(ctx context.Context, l Load) Result {
	if l.Clients <= 0 {
		l.Clients = 1
	}
	c := l.Client
	if c == nil {
		c = NewClient(l.Clients)
	}
	var deadline time.Time
	if l.Requests <= 0 {
		if l.Duration <= 0 {
			l.Duration = 10 * time.Second
		}
		deadline = time.Now().Add(l.Duration)
	}
	var next atomic.Int64
	var mu sync.Mutex
	var res Result
	lat := make([][]time.Duration, l.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if l.Requests > 0 && i >= l.Requests {
					return
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				err := l.Do(ctx, c, i)
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					res.Errors++
					if res.FirstError == nil {
						res.FirstError = err
					}
					mu.Unlock()
					continue
				}
				lat[w] = append(lat[w], d)
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, l := range lat {
		res.Latencies = append(res.Latencies, l...)
	}
	res.Requests = len(res.Latencies) + res.Errors
	slices.Sort(res.Latencies)
	return res
}

// RPS returns the answered requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile (0 < p <= 100) of the successful
// requests' latencies.
func (r Result) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// String summarises the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p90 %s, p99 %s, max %s, %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS(), r.Percentile(50).Round(10*time.Microsecond),
		r.Percentile(90).Round(10*time.Microsecond), r.Percentile(99).Round(10*time.Microsecond),
		r.Percentile(100).Round(10*time.Microsecond), r.Errors)
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// do not exceed. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Drain reads a response body to its end and closes it, so that its
// connection is reused.
func Drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// ErrStatus is returned by Expect for an unexpected status code.
var ErrStatus = errors.New("unexpected status")

// Expect drains resp and returns an error wrapping ErrStatus unless its
// status is want.
func Expect(resp *http.Response, want int) error {
	if resp.StatusCode == want {
		Drain(resp)
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	return fmt.Errorf("%w %d (want %d): %s", ErrStatus, resp.StatusCode, want, b)
}

// discardLogger returns a logger that drops everything, for River clients
// used only to insert jobs while seeding.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
