package media

import (
	"errors"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/safehttp"
)

// Code classifies an *Error. Every code is the user's to fix (the API answers
// 400); failures of Herald's own storage are never an *Error. The codes of
// refused URLs are safehttp's, so a refusal keeps its code whichever of the
// two found it.
type Code string

const (
	// CodeInvalidURL: not an absolute http or https URL, or a host written in
	// a way Herald does not accept.
	CodeInvalidURL = Code(safehttp.CodeInvalidURL)
	// CodeRefusedAddress: the host is, resolves to, or redirects to an address
	// Herald must not connect to (loopback, private, metadata, ...).
	CodeRefusedAddress = Code(safehttp.CodeRefusedAddress)
	// CodeUnreachable: DNS failure, connection refused or reset, TLS failure.
	CodeUnreachable Code = "unreachable"
	// CodeTimeout: the connect or total time limit ran out.
	CodeTimeout Code = "timeout"
	// CodeTooManyRedirects: more redirects than allowed.
	CodeTooManyRedirects = Code(safehttp.CodeTooManyRedirects)
	// CodeBadStatus: the server answered something other than 200 OK.
	CodeBadStatus Code = "bad_status"
	// CodeTooLarge: the file is over the size cap for its type (or the pixel cap).
	CodeTooLarge Code = "too_large"
	// CodeUnsupportedType: the bytes are not one of the accepted types.
	CodeUnsupportedType Code = "unsupported_type"
	// CodeMalformed: the bytes claim an accepted type but cannot be read.
	CodeMalformed Code = "malformed"
)

// Error is a failure to accept one media file, safe to show the user.
// Its message names the URL (or the upload's name) and the reason.
type Error struct {
	// URL is the mediaUrl as given, or the name of an upload.
	URL string
	// Code classifies the failure.
	Code Code
	// Reason says what went wrong in words a user understands.
	Reason string
	// Err is the underlying cause, if any (not shown to users by Error).
	Err error
}

func (e *Error) Error() string {
	if e.URL == "" {
		return "media: " + e.Reason
	}
	return fmt.Sprintf("media %s: %s", e.URL, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error without a URL; the caller that knows the URL sets it
// with withURL.
func errorf(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...), Err: err}
}

// withURL returns err with its URL set if it is an *Error without one.
func withURL(err error, url string) error {
	var me *Error
	if errors.As(err, &me) && me.URL == "" {
		cp := *me
		cp.URL = url
		return &cp
	}
	return err
}

// CodeOf returns the code of err, or "" if err is not an *Error.
func CodeOf(err error) Code {
	var me *Error
	if errors.As(err, &me) {
		return me.Code
	}
	return ""
}

// formatBytes writes a byte count the way a person reads it: exact for round
// binary or decimal megabytes, otherwise with one decimal.
func formatBytes(n int64) string {
	switch {
	case n < 0:
		return "an unknown size"
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	case n%(1<<10) == 0 && n < 1<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	case n < 1_000_000:
		return trimZero(fmt.Sprintf("%.1f KB", float64(n)/1000))
	default:
		return trimZero(fmt.Sprintf("%.1f MB", float64(n)/1_000_000))
	}
}

func trimZero(s string) string { return strings.Replace(s, ".0 ", " ", 1) }
