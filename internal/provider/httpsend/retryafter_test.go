package httpsend

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)
	tests := []struct {
		name, value string
		want        time.Time
	}{
		{name: "seconds", value: "120", want: now.Add(2 * time.Minute)},
		{name: "seconds with spaces", value: " 5 ", want: now.Add(5 * time.Second)},
		{name: "HTTP date", value: "Sun, 30 Mar 2025 02:00:00 GMT", want: time.Date(2025, 3, 30, 2, 0, 0, 0, time.UTC)},
		{name: "absent"},
		{name: "fractional seconds are not HTTP", value: "1.5"},
		{name: "garbage", value: "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := RetryAfter(h, now); !got.Equal(tt.want) {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}
