// Package httperr is the one table from Herald's error codes to HTTP
// statuses and to the messages users see, shared by every front door (the
// REST API, the web app and the MCP server), and the one rule for logging a
// failed request.
//
// A domain error (*herald.Error) shows its safe message. Anything else is
// Herald's own failure: the user gets a fixed message carrying the request
// id, and the cause goes to the log under the same id, so that an operator
// can find it and nothing internal (addresses, SQL, file paths) reaches the
// user.
package httperr

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/heraldhq/herald"
)

// statusOf maps each domain error code to its HTTP status.
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

// Status returns the HTTP status for err: its code's row of the table, and
// 500 for an error without a known code.
func Status(err error) int {
	if s, ok := statusOf[herald.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Internal is the message every unexpected failure shows, with the request
// id that finds its cause in the log.
func Internal(requestID string) string {
	if requestID == "" {
		return "Internal error."
	}
	return "Internal error (request id " + requestID + ")."
}

// Message returns what the user sees for err: the safe message of a domain
// error, or Internal(requestID) for a 500, whatever the error says.
func Message(err error, requestID string) string {
	if Status(err) == http.StatusInternalServerError {
		return Internal(requestID)
	}
	return herald.ErrorMessage(err)
}

// Describe returns err's status and user message; the request id comes from
// ctx (herald.NewContextWithRequestID).
func Describe(ctx context.Context, err error) (status int, message string) {
	return Status(err), Message(err, herald.RequestIDFromContext(ctx))
}

// Log records a failed request once, where it is answered: Herald's own
// failures (5xx) with their cause and request id, a dependency that is down
// (503) as a warning; the user's mistakes (4xx) and documented answers (501)
// are not logged.
func Log(ctx context.Context, log *slog.Logger, r *http.Request, status int, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "request_id", herald.RequestIDFromContext(ctx), "error", err}
	switch {
	case status == http.StatusNotImplemented || status < 500:
	case status == http.StatusServiceUnavailable:
		log.WarnContext(ctx, "request failed", attrs...)
	default:
		log.ErrorContext(ctx, "request failed", attrs...)
	}
}

// RequestID returns the request id to use for r: the client's X-Request-Id
// when it is short and printable, else a new id.
func RequestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 100 || !printable(id) {
		return herald.NewID()
	}
	return id
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
