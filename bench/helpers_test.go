package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		name   string
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one value", []time.Duration{7}, 50, 7},
		{"median of ten", ten, 50, 5},
		{"p90 of ten", ten, 90, 9},
		{"p99 of ten is the largest", ten, 99, 10},
		{"p100 is the largest", ten, 100, 10},
		{"tiny p is the smallest", ten, 0.001, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tc.values, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.values, tc.p, got, tc.want)
			}
		})
	}
}

func TestParseVmRSS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"present", "Name:\therald\nVmPeak:\t  20000 kB\nVmRSS:\t   31234 kB\nThreads:\t9\n", 31234 << 10, false},
		{"missing", "Name:\therald\n", 0, true},
		{"bad unit", "VmRSS:\t 12 MB\n", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseVmRSS([]byte(tc.status))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestParseCPUTime(t *testing.T) {
	t.Parallel()
	// A real line's shape, with a command name holding a space and a ')'.
	stat := "4242 (herald (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 12345 1000000 5000 18446744073709551615"
	got, err := parseCPUTime([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Errorf("parseCPUTime = %v, want %v (utime 250 + stime 75 ticks)", got, want)
	}
	if _, err := parseCPUTime([]byte("4242 (herald) S 1 2")); err == nil {
		t.Error("parseCPUTime of a short line: no error")
	}
}

func TestOwnProcessCPUAndRSS(t *testing.T) {
	t.Parallel()
	rss, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Errorf("RSS of this test process = %d bytes, want at least 1 MiB", rss)
	}
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff("(?, ?), (?, ?), (?, ?)", values(3, 2)); diff != "" {
		t.Errorf("values(3, 2) (-want +got):\n%s", diff)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	res := Run(context.Background(), Load{Clients: 4, Requests: 100, Do: func(ctx context.Context, c *http.Client, i int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		return Expect(resp, http.StatusCreated)
	}})
	if res.Requests != 100 || served.Load() != 100 {
		t.Errorf("Requests = %d, served %d; want 100 each", res.Requests, served.Load())
	}
	if res.Errors != 10 || len(res.Latencies) != 90 {
		t.Errorf("Errors = %d, latencies %d; want 10 and 90", res.Errors, len(res.Latencies))
	}
	if !errors.Is(res.FirstError, ErrStatus) {
		t.Errorf("FirstError = %v, want an ErrStatus", res.FirstError)
	}
	if res.RPS() <= 0 || res.Percentile(99) < res.Percentile(50) {
		t.Errorf("RPS %v, p50 %v, p99 %v: not a measurement", res.RPS(), res.Percentile(50), res.Percentile(99))
	}
}

func TestRunForDuration(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	start := time.Now()
	res := Run(context.Background(), Load{Clients: 2, Duration: 200 * time.Millisecond, Do: func(ctx context.Context, c *http.Client, i int) error {
		resp, err := c.Get(srv.URL)
		if err != nil {
			return err
		}
		return Expect(resp, http.StatusOK)
	}})
	if res.Requests == 0 || res.Errors != 0 {
		t.Errorf("Requests = %d, Errors = %d (first %v)", res.Requests, res.Errors, res.FirstError)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 200ms load took %v", took)
	}
}
