package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald/internal/clientaddr"
)

// TestRateLimitByClientAddress checks that requests without a valid key are
// limited per client: behind a trusted proxy, per X-Forwarded-For client;
// otherwise per socket address, whatever X-Forwarded-For claims.
func TestRateLimitByClientAddress(t *testing.T) {
	t.Parallel()
	proxies, err := clientaddr.ParseProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		proxies     clientaddr.Proxies
		peer        string
		wantOther   int // status for a second client once the first is limited
		description string
	}{
		{"trusted proxy", proxies, "10.0.0.2:4000", http.StatusForbidden, "another forwarded client is not limited"},
		{"untrusted peer", proxies, "203.0.113.9:4000", http.StatusTooManyRequests, "a forged X-Forwarded-For does not escape the limit"},
		{"no proxies configured", nil, "10.0.0.2:4000", http.StatusTooManyRequests, "X-Forwarded-For is ignored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, 3)
			h := tc.proxies.Handler(f.handler)
			get := func(client string) int {
				r := httptest.NewRequest("GET", base+"/me", nil)
				r.RemoteAddr = tc.peer
				r.Header.Set("X-API-Key", "hk_wrong")
				r.Header.Set("X-Forwarded-For", client)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			for range 3 {
				get("198.51.100.1")
			}
			if s := get("198.51.100.1"); s != http.StatusTooManyRequests {
				t.Fatalf("fourth request = %d, want 429", s)
			}
			if s := get("198.51.100.2"); s != tc.wantOther {
				t.Errorf("%s: other client = %d, want %d", tc.description, s, tc.wantOther)
			}
		})
	}
}
