package safehttp

import (
	"errors"
	"fmt"
)

// Code classifies an *Error. Every code is the fault of whoever named the
// URL (a user, a redirect), never Herald's own.
type Code string

const (
	// CodeInvalidURL: not an absolute http or https URL, or a host written in
	// a way Herald does not accept.
	CodeInvalidURL Code = "invalid_url"
	// CodeRefusedAddress: the host is, resolves to, or redirects to an address
	// Herald must not connect to (loopback, private, metadata, ...).
	CodeRefusedAddress Code = "refused_address"
	// CodeTooManyRedirects: more redirects than allowed.
	CodeTooManyRedirects Code = "too_many_redirects"
)

// Error is a URL or redirect the client refused, safe to show the user who
// named it. Refusals of a resolved address at connect time are an
// *AddressError instead (wrapped by the HTTP client in a *url.Error).
type Error struct {
	// Code classifies the refusal.
	Code Code
	// Reason says what was refused in words a user understands.
	Reason string
	// Err is the underlying cause, if any (an *AddressError for
	// CodeRefusedAddress).
	Err error
}

func (e *Error) Error() string { return "safehttp: " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

func errorf(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of err, or "" if err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
