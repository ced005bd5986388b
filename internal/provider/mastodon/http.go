package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
)

// request is one call to an instance.
type request struct {
	method      string
	url         string
	token       string
	body        io.Reader
	contentType string
	header      http.Header
	// create marks the request that publishes: once it may have been sent,
	// a failure is an unknown outcome rather than a transient one.
	create bool
}

// maxBody bounds how much of a response is read.
const maxBody = 8 << 20

// do sends req and decodes a 2xx JSON answer into out (if not nil). It
// returns the HTTP status and, on failure, a *provider.Error classified the
// way the engine needs it.
func (p *Provider) do(ctx context.Context, req request, out any) (int, error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, req.body)
	if err != nil {
		return 0, &provider.Error{Kind: provider.KindRejected, Code: "invalid_request", Message: "invalid instance URL", Err: err}
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	hr.Header.Set("Accept", "application/json")
	if p.cfg.UserAgent != "" {
		hr.Header.Set("User-Agent", p.cfg.UserAgent)
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		// A request that never left (refused connection, DNS, a dialer
		// that refuses private addresses) cannot have taken effect.
		if !wrote.Load() || !req.create {
			return 0, &provider.Error{Kind: provider.KindTransient, Code: "network", Message: "could not reach the instance", Err: err}
		}
		return 0, &provider.Error{Kind: provider.KindOutcomeUnknown, Code: "network", Message: "no answer from the instance after the post was sent", Err: err}
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if readErr == nil && out != nil {
			readErr = json.Unmarshal(body, out)
		}
		if readErr != nil {
			return resp.StatusCode, &provider.Error{Kind: httpsend.UncertainKind(req.create), Code: strconv.Itoa(resp.StatusCode), Message: "malformed answer from the instance", Err: readErr}
		}
		return resp.StatusCode, nil
	}
	return resp.StatusCode, p.httpError(req, resp, body)
}

// apiError is Mastodon's error entity (also the OAuth error shape).
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// httpError classifies a non-2xx answer.
func (p *Provider) httpError(req request, resp *http.Response, body []byte) *provider.Error {
	code := strconv.Itoa(resp.StatusCode)
	var ae apiError
	msg := ""
	if json.Unmarshal(body, &ae) == nil && ae.Error != "" {
		msg = ae.Error
		if ae.Description != "" {
			msg += ": " + ae.Description
		}
	} else {
		msg = http.StatusText(resp.StatusCode)
	}
	e := &provider.Error{Code: code, Message: msg}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		// Mastodon tokens do not expire: a 401 means it was revoked.
		e.Kind = provider.KindUnauthorized
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = provider.KindRateLimited
		e.RetryAt = retryAt(resp.Header, p.now())
	case resp.StatusCode >= 500:
		// The status may have been created before the error (a proxy
		// timing out on a slow database): reconcile, never repeat.
		e.Kind = httpsend.UncertainKind(req.create)
	case resp.StatusCode >= 400:
		e.Kind = provider.KindRejected
	default:
		e.Kind = httpsend.UncertainKind(req.create)
		e.Message = fmt.Sprintf("unexpected answer %d from the instance", resp.StatusCode)
	}
	return e
}

// retryAt reads when a rate limit resets: X-RateLimit-Reset (an ISO 8601
// timestamp on Mastodon), else Retry-After (seconds or an HTTP date).
func retryAt(h http.Header, now time.Time) time.Time {
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
		// Some servers (Pleroma, Akkoma) send Unix seconds.
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1e9 {
			return time.Unix(n, 0)
		}
	}
	return httpsend.RetryAfter(h, now)
}

// kindOf returns the provider kind of err (for internal decisions).
func kindOf(err error) provider.ErrorKind {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}
