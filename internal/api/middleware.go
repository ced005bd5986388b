package api

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/clientaddr"
	"github.com/heraldhq/herald/internal/connlimit"
	"github.com/heraldhq/herald/internal/httperr"
)

// route is one endpoint: how to serve it and how to document it.
type route struct {
	method, path  string
	tag           string
	summary, desc string
	query         []param
	body          any // a value of the request body's type, or nil
	resp          any // a value of the success body's type
	status        int // success status; 200 when zero
	errors        []int
	public        bool // no API key needed
	limitOnly     bool // no API key needed, but counted against the rate limit
	raw           bool // not JSON (documents)
	form          any  // a multipart/form-data body's fields, for the document; the handler reads the form (no Idempotency-Key)
	h             handlerFunc
}

// param is a query parameter.
type param struct {
	name     string
	typ      string // "string" (default) or "integer"
	required bool
	array    bool
	enum     []string
	desc     string
}

var workspaceParam = param{name: "workspaceId", required: true, desc: "The workspace."}
var workspaceOptParam = param{name: "workspaceId", desc: "Optional: when given, the post must belong to this workspace."}

// wrap applies the API's middleware to a route: request id, recovery,
// authentication, rate limiting and idempotency.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := httperr.RequestID(r)
		w.Header().Set("X-Request-Id", reqID)
		ctx := herald.NewContextWithRequestID(r.Context(), reqID)
		if herald.ClientAddrFromContext(ctx) == "" { // not behind clientaddr.Handler (tests)
			ctx = herald.NewContextWithClientAddr(ctx, clientaddr.FromRequest(r))
		}
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.ErrorContext(ctx, "panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wrote {
					writeJSON(rec, http.StatusInternalServerError, errorBody{Message: httperr.Internal(reqID)})
				}
			}
			h.log.DebugContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration_ms", time.Since(start).Milliseconds())
		}()
		if err := h.serve(rec, r, rt); err != nil {
			writeError(rec, r, h.log, err)
		}
	})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := herald.CheckTextValues(r.URL.Query()); err != nil {
		return err
	}
	if rt.public {
		return rt.h(w, r)
	}
	user, key, authErr := h.app.AuthenticateAPIKey(r.Context(), r.Header.Get("X-API-Key"))
	limitKey := "ip:" + clientaddr.FromRequest(r)
	if authErr == nil {
		limitKey = "key:" + key.ID
		connlimit.MarkAuthenticated(r.Context()) // keeps the connection's full idle timeout
	}
	if err := h.limit(w, limitKey); err != nil {
		return err
	}
	if rt.limitOnly {
		return rt.h(w, r)
	}
	if authErr != nil {
		return authErr
	}
	r = r.WithContext(herald.NewContextWithUser(r.Context(), user))
	if r.Method == http.MethodPost && rt.form == nil {
		if idemKey := r.Header.Get("Idempotency-Key"); idemKey != "" {
			return h.idempotent(w, r, rt, key.ID, idemKey)
		}
	}
	return rt.h(w, r)
}

// limit applies the rate limit and sets the X-RateLimit-* headers.
func (h *Handler) limit(w http.ResponseWriter, key string) error {
	ok, remaining, reset := h.limiter.allow(key)
	hd := w.Header()
	hd.Set("X-RateLimit-Limit", strconv.Itoa(h.cfg.RateLimit))
	hd.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	hd.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	if !ok {
		hd.Set("Retry-After", strconv.Itoa(max(1, int(reset.Sub(h.limiter.now()).Seconds()+0.999))))
		return herald.Errorf(herald.ERATELIMITED, "You've exceeded the request limit.")
	}
	return nil
}

// idempotent serves a POST carrying an Idempotency-Key: the same key and
// body from the same API key within the key's lifetime get the first
// successful answer again (app.BeginIdempotent). An answer outside 2xx, or a
// panic, releases the key.
func (h *Handler) idempotent(w http.ResponseWriter, r *http.Request, rt route, apiKeyID, key string) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%s\n%s\n", r.Method, r.URL.Path, r.URL.Query().Encode())
	sum.Write(body)
	ctx, replay, finish, err := h.app.BeginIdempotent(r.Context(), app.IdempotentRequest{APIKeyID: apiKeyID, Key: key, RequestHash: sum.Sum(nil)})
	if err != nil {
		return err
	}
	if replay != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(replay.Status)
		w.Write(replay.Body)
		return nil
	}
	r = r.WithContext(ctx)
	r.Body = http.NoBody
	if len(body) > 0 {
		r.Body = readCloser{bytes.NewReader(body)}
	}
	// A panic releases the key as a 500 does, so that the request can be
	// retried at once rather than answering 409 until the key expires; the
	// panic goes on to wrap, which recovers and answers.
	finished := false
	defer func() {
		if !finished {
			finish(http.StatusInternalServerError, nil)
		}
	}()
	cw := &captureWriter{ResponseWriter: w}
	err = rt.h(cw, r)
	if err != nil {
		writeError(cw, r, h.log, err)
	}
	finished = true
	finish(cw.status, cw.buf.Bytes())
	return nil
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// captureWriter keeps a copy of the answer to store it.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}
