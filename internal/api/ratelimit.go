package api

import (
	"sync"
	"time"
)

// rateLimiter counts requests per key in fixed windows (60 per minute by
// default, as Ocoya). It is per process: with several nodes, each node
// counts on its own.
type rateLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	count int
}

func newRateLimiter(limit int, w time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, window: w, now: now, windows: map[string]*window{}}
}

// allow counts a request for key and reports whether it is within the
// limit, how many remain, and when the window resets.
func (l *rateLimiter) allow(key string) (ok bool, remaining int, reset time.Time) {
	now := l.now()
	start := now.Truncate(l.window)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, w := range l.windows {
			if w.start.Before(start) {
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	w := l.windows[key]
	if w == nil || w.start != start {
		w = &window{start: start}
		l.windows[key] = w
	}
	reset = start.Add(l.window)
	if w.count >= l.limit {
		return false, 0, reset
	}
	w.count++
	return true, l.limit - w.count, reset
}
