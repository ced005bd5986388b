package api_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logBuffer collects log lines written from the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClientAbortIsNotAnError cancels requests while Herald downloads
// their mediaUrls: each is a client abort logged at debug level, never an
// error line, and an aborted request's Idempotency-Key is not kept.
func TestClientAbortIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	f := setupWithLog(t, 1000, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	png := pngOf(t, 8, 8)
	var hang atomic.Bool
	hang.Store(true)
	started := make(chan struct{}, 100)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			started <- struct{}{}
			<-r.Context().Done() // Herald gives up when its client does
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	defer files.Close()
	srv := httptest.NewServer(f.handler)
	defer srv.Close()

	post := func(ctx context.Context, idemKey string) (*http.Response, error) {
		body := `{"caption":"Hi","mediaUrls":["` + files.URL + `/slow.png"]}`
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+base+"/post?workspaceId="+f.ws, strings.NewReader(body))
		req.Header.Set("X-API-Key", f.key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", idemKey)
		return http.DefaultClient.Do(req)
	}
	const aborted = 20
	for i := range aborted {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-started
			cancel()
		}()
		if _, err := post(ctx, "key-"+string(rune('a'+i))); !errors.Is(err, context.Canceled) {
			t.Fatalf("request %d: %v, want it cancelled", i, err)
		}
		cancel()
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), "client went away") < aborted {
		if time.Now().After(deadline) {
			t.Fatalf("%d client aborts logged, want %d:\n%s", strings.Count(logs.String(), "client went away"), aborted, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
			t.Errorf("a client abort was logged as a failure: %s", line)
		}
		if strings.Contains(line, "client went away") && !strings.Contains(line, "level=DEBUG") {
			t.Errorf("a client abort above debug level: %s", line)
		}
	}
	// The aborted request's key was forgotten: the retry runs.
	hang.Store(false)
	resp, err := post(context.Background(), "key-a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("retry after an abort: status %d, replayed %q; want 201, not replayed", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
	}
}
