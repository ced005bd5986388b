package httpsend

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter is the instant h's Retry-After header names, in either of its
// forms (delay-seconds or an HTTP date), or the zero time when it names
// none. Networks that announce waits in their own headers or bodies read
// those first.
func RetryAfter(h http.Header, now time.Time) time.Time {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return now.Add(time.Duration(n) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return t
		}
	}
	return time.Time{}
}
