package fault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type testFault struct {
	Name, Method string
}

func TestQueue(t *testing.T) {
	t.Parallel()
	anyOr := func(method string) func(testFault) bool {
		return func(f testFault) bool { return f.Method == "" || f.Method == method }
	}
	type take struct {
		method string
		want   string // "" when nothing should match
	}
	tests := []struct {
		name  string
		add   []testFault
		times []int
		takes []take
	}{
		{
			name: "first in, first out", add: []testFault{{Name: "a"}, {Name: "b"}}, times: []int{0, 0},
			takes: []take{{"GET", "a"}, {"GET", "b"}, {"GET", ""}},
		},
		{
			name: "only matching faults are used", add: []testFault{{Name: "post", Method: "POST"}, {Name: "any"}}, times: []int{1, 1},
			takes: []take{{"GET", "any"}, {"GET", ""}, {"POST", "post"}, {"POST", ""}},
		},
		{
			name: "a fault queued for several times", add: []testFault{{Name: "twice"}, {Name: "then"}}, times: []int{2, 1},
			takes: []take{{"GET", "twice"}, {"GET", "twice"}, {"GET", "then"}, {"GET", ""}},
		},
		{
			name: "a fault queued forever shadows the next", add: []testFault{{Name: "always"}, {Name: "never"}}, times: []int{-1, 1},
			takes: []take{{"GET", "always"}, {"GET", "always"}, {"GET", "always"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var q Queue[testFault]
			for i, f := range tt.add {
				q.Add(f, tt.times[i])
			}
			for i, tk := range tt.takes {
				f, ok := q.Take(anyOr(tk.method))
				if got := map[bool]string{true: f.Name, false: ""}[ok]; got != tk.want {
					t.Errorf("take %d (%s) = %q, want %q", i, tk.method, got, tk.want)
				}
			}
		})
	}
}

func TestQueueClear(t *testing.T) {
	t.Parallel()
	var q Queue[testFault]
	q.Add(testFault{Name: "a"}, -1)
	q.Clear()
	if f, ok := q.Take(func(testFault) bool { return true }); ok {
		t.Errorf("Take after Clear = %v", f)
	}
}

func request(ctx context.Context) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
}

func TestHoldReturns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		release func(cancel context.CancelFunc, closing chan struct{})
	}{
		{name: "client gives up", release: func(cancel context.CancelFunc, _ chan struct{}) { cancel() }},
		{name: "fake shuts down", release: func(_ context.CancelFunc, closing chan struct{}) { close(closing) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			closing := make(chan struct{})
			done := make(chan struct{})
			go func() {
				Hold(request(ctx), closing, time.Hour)
				close(done)
			}()
			select {
			case <-done:
				t.Fatal("Hold returned before anything released it")
			case <-time.After(20 * time.Millisecond):
			}
			tt.release(cancel, closing)
			<-done
		})
	}
}

func TestHoldTimesOut(t *testing.T) {
	t.Parallel()
	// Nothing else releases it: the test would hang if the timeout did not.
	Hold(request(context.Background()), make(chan struct{}), time.Millisecond)
}

func TestDelay(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{})
	close(closed)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		closing chan struct{}
		d       time.Duration
		want    bool
	}{
		{name: "no latency", ctx: cancelled, closing: closed, want: true},
		{name: "latency passes", ctx: context.Background(), d: time.Millisecond, want: true},
		{name: "client gave up", ctx: cancelled, d: time.Hour, want: false},
		{name: "fake shuts down", ctx: context.Background(), closing: closed, d: time.Hour, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Delay(request(tt.ctx), tt.closing, tt.d); got != tt.want {
				t.Errorf("Delay = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC)
	l := &Limiter[string]{Limit: 2, Window: time.Minute}
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", 10 * time.Second, true},
		{"a", 20 * time.Second, false}, // third in a minute
		{"b", 20 * time.Second, true},  // keys are counted apart
		{"a", 60 * time.Second, true},  // the first slid out
		{"a", 61 * time.Second, false}, // a refusal is not counted, the last two are
		{"a", 70 * time.Second, true},
	}
	var got, want []bool
	for _, s := range steps {
		got = append(got, l.Allow(s.key, t0.Add(s.at)))
		want = append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Allow (-want +got):\n%s", diff)
	}
	var open Limiter[int]
	for i := 0; i < 100; i++ {
		if !open.Allow(1, t0) {
			t.Fatal("a Limiter without a limit refused")
		}
	}
}
