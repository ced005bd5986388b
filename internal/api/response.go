package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/heraldhq/herald"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	herald.EINVALID:       http.StatusBadRequest,
	herald.ENOTFOUND:      http.StatusNotFound,
	herald.ECONFLICT:      http.StatusConflict,
	herald.EUNAUTHORIZED:  http.StatusUnauthorized,
	herald.EFORBIDDEN:     http.StatusForbidden,
	herald.ERATELIMITED:   http.StatusTooManyRequests,
	herald.EUNAVAILABLE:   http.StatusServiceUnavailable,
	herald.EUNIMPLEMENT:   http.StatusNotImplemented,
	herald.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	herald.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	herald.EMEDIATYPE:     http.StatusUnsupportedMediaType,
	herald.EINTERNAL:      http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for a domain error; the web app and MCP
// server use the same table.
func StatusOf(err error) int {
	if s, ok := statusOf[herald.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is every error's JSON shape, as Ocoya's.
type errorBody struct {
	Message string `json:"message" doc:"What went wrong, naming the field and the rule where the request broke one."`
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes err as {"message": ...} with its status, and logs it
// when it is Herald's fault: the one place errors are logged.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if ClientGone(r) {
		log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status := StatusOf(err)
	switch {
	case status == http.StatusNotImplemented:
		// A documented answer, not a failure.
	case status == http.StatusServiceUnavailable:
		log.WarnContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	case status >= 500:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	var he *herald.Error
	if !errors.As(err, &he) && status == http.StatusInternalServerError {
		err = herald.Errorf(herald.EINTERNAL, "Internal error.")
	}
	writeJSON(w, status, errorBody{Message: herald.ErrorMessage(err)})
}

// StatusClientClosedRequest is the status recorded (never received) for a
// request whose client went away before the answer: nginx's 499.
const StatusClientClosedRequest = 499

// ClientGone reports whether the client of r disconnected (or cancelled
// its request): net/http then cancels the request's context, and whatever
// failed after it is no fault of Herald's, only a client abort, logged at
// debug level and never as a server error.
func ClientGone(r *http.Request) bool { return r.Context().Err() != nil }
