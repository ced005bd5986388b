package httperr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/httperr"
)

// TestTable pins every code's status and message: the web app used to map
// conflict, unauthorized, rate_limited, unprocessable and too_large to 500.
func TestTable(t *testing.T) {
	t.Parallel()
	ctx := herald.NewContextWithRequestID(context.Background(), "req1")
	tests := []struct {
		name    string
		err     error
		status  int
		message string
	}{
		{"invalid", herald.Errorf(herald.EINVALID, "text: is required"), 400, "text: is required"},
		{"not found", herald.Errorf(herald.ENOTFOUND, "Post not found."), 404, "Post not found."},
		{"conflict", herald.Errorf(herald.ECONFLICT, "in use"), 409, "in use"},
		{"unauthorized", herald.Errorf(herald.EUNAUTHORIZED, "Sign in."), 401, "Sign in."},
		{"forbidden", herald.Errorf(herald.EFORBIDDEN, "Owners only."), 403, "Owners only."},
		{"rate limited", herald.Errorf(herald.ERATELIMITED, "Slow down."), 429, "Slow down."},
		{"unavailable", herald.Errorf(herald.EUNAVAILABLE, "No storage."), 503, "No storage."},
		{"not implemented", herald.Errorf(herald.EUNIMPLEMENT, "Not yet."), 501, "Not yet."},
		{"unprocessable", herald.Errorf(herald.EUNPROCESSABLE, "Key reused."), 422, "Key reused."},
		{"too large", herald.Errorf(herald.ETOOLARGE, "Too big."), 413, "Too big."},
		{"wrapped domain error", fmt.Errorf("context: %w", herald.Errorf(herald.ECONFLICT, "in use")), 409, "in use"},
		{"internal code hides its message", herald.Errorf(herald.EINTERNAL, "pq: relation posts does not exist"), 500, "Internal error (request id req1)."},
		{"plain error", errors.New("dial tcp 10.1.2.3:5432: connection refused"), 500, "Internal error (request id req1)."},
		{"unknown code", herald.Errorf("surprise", "what"), 500, "Internal error (request id req1)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, msg := httperr.Describe(ctx, tt.err)
			if status != tt.status || msg != tt.message {
				t.Errorf("Describe = %d %q, want %d %q", status, msg, tt.status, tt.message)
			}
		})
	}
}

// TestLog logs Herald's failures with their cause and request id, and
// not the user's mistakes.
func TestLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx := herald.NewContextWithRequestID(context.Background(), "req2")
	r := httptest.NewRequest("GET", "/x", nil)
	httperr.Log(ctx, log, r, http.StatusBadRequest, herald.Errorf(herald.EINVALID, "bad"))
	if buf.Len() != 0 {
		t.Errorf("a 400 was logged: %s", buf.String())
	}
	httperr.Log(ctx, log, r, http.StatusInternalServerError, errors.New("disk on fire"))
	if s := buf.String(); !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "request_id=req2") || !strings.Contains(s, "disk on fire") {
		t.Errorf("log = %s, want an error line with the request id and the cause", s)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Request-Id", "abc-123")
	if got := httperr.RequestID(r); got != "abc-123" {
		t.Errorf("RequestID = %q, want the client's", got)
	}
	r.Header.Set("X-Request-Id", "a b\x00")
	if got := httperr.RequestID(r); got == "a b\x00" || got == "" {
		t.Errorf("RequestID = %q, want a new id for an unprintable one", got)
	}
}
