package herald

import (
	"errors"
	"fmt"
)

// Error codes. One table (internal/api) maps them to HTTP status codes for
// every front door.
const (
	EINVALID       = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND      = "not_found"    // no such entity visible to the caller
	ECONFLICT      = "conflict"     // the entity's state forbids the action
	EUNAUTHORIZED  = "unauthorized" // no credentials
	EFORBIDDEN     = "forbidden"    // credentials are valid but not allowed
	ERATELIMITED   = "rate_limited" // too many requests
	EUNAVAILABLE   = "unavailable"  // a dependency is down or not configured
	EUNIMPLEMENT   = "not_implemented"
	EUNPROCESSABLE = "unprocessable" // well-formed but cannot be processed (idempotency key reuse)
	ETOOLARGE      = "too_large"     // the request body is over the cap
	EMEDIATYPE     = "media_type"    // the request body is not in a format the endpoint reads
	EINTERNAL      = "internal"      // a bug or an unexpected failure
)

// Error is a domain error: a code and a message that is safe to show to the
// caller. Internal causes are wrapped in Err and never shown.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, or EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of err; internal errors get a
// generic message so that nothing internal leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
