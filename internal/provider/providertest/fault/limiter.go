package fault

import (
	"sync"
	"time"
)

// Limiter refuses more than Limit events per Window for one key, counting
// the events of the last Window (a sliding log), as networks that allow so
// many messages a minute to one chat or webhook do. A Limit of 0 allows
// everything. Set Limit and Window before use; Allow is safe for concurrent
// use.
type Limiter[K comparable] struct {
	Limit  int
	Window time.Duration

	mu     sync.Mutex
	events map[K][]time.Time
}

// Allow reports whether an event for key at now is within the limit, and
// counts it when it is.
func (l *Limiter[K]) Allow(key K, now time.Time) bool {
	if l.Limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events = map[K][]time.Time{}
	}
	recent := l.events[key][:0]
	for _, t := range l.events[key] {
		if now.Sub(t) < l.Window {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.Limit {
		l.events[key] = recent
		return false
	}
	l.events[key] = append(recent, now)
	return true
}
