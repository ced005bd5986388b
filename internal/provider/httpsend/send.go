package httpsend

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/provider"
)

// Request is one call to a network's HTTP API.
type Request struct {
	// Network names the network in error messages ("Discord").
	Network string
	Method  string
	URL     string
	// Secret is a credential carried in URL (a webhook or bot token). It is
	// replaced by REDACTED in every error Send returns, since url.Error
	// prints the URL.
	Secret string
	// Body is nil for a request without one.
	Body io.Reader
	// ContentLength is Body's length, or -1 when unknown (chunked).
	ContentLength int64
	// ContentType is sent when not empty.
	ContentType string
	// Header holds further headers (User-Agent).
	Header http.Header
	// Create marks a request that publishes: once it may have reached the
	// network, a failure is an unknown outcome, never one to retry blindly.
	// Any other request is safe to repeat.
	Create bool
	// MaxAnswer bounds how many bytes of the answer are read.
	MaxAnswer int64
}

// Answer is the network's answer, whatever its status.
type Answer struct {
	Status int
	Header http.Header
	// Body is the answer's body, read up to Request.MaxAnswer bytes.
	Body []byte
}

// Send performs r with client and reads the answer. A failure to send or to
// read is a *provider.Error whose kind says whether the request may have
// taken effect (see UncertainKind); an answer of any status is returned
// as it came, for the network's package to read. On a cut-off answer,
// Answer.Status is set along with the error.
func Send(ctx context.Context, client *http.Client, r Request) (Answer, error) {
	var progress writeProgress
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, progress.trace()), r.Method, r.URL, r.Body)
	if err != nil {
		return Answer{}, &provider.Error{Kind: provider.KindTransient, Message: "cannot build the request", Err: scrub(err, r.Secret)}
	}
	req.ContentLength = r.ContentLength
	if r.Body == nil {
		req.ContentLength = 0
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		if r.Create && progress.mayHaveArrived() {
			return Answer{}, &provider.Error{Kind: provider.KindOutcomeUnknown, Message: r.Network + " did not answer; the message may have been posted", Err: scrub(err, r.Secret)}
		}
		return Answer{}, &provider.Error{Kind: provider.KindTransient, Message: "could not reach " + r.Network, Err: scrub(err, r.Secret)}
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: resp.Header}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, r.MaxAnswer))
	if err != nil {
		return a, &provider.Error{Kind: UncertainKind(r.Create), Code: strconv.Itoa(resp.StatusCode), Message: "the answer from " + r.Network + " was cut off", Err: scrub(err, r.Secret)}
	}
	return a, nil
}

// UncertainKind is the kind of a failure that came after a request may
// have reached the network (a lost or unreadable answer, a 5xx): for a
// request that creates, an unknown outcome, since repeating it could
// publish twice; for any other, transient, since repeating it is harmless.
func UncertainKind(create bool) provider.ErrorKind {
	if create {
		return provider.KindOutcomeUnknown
	}
	return provider.KindTransient
}

// scrub returns err with secret replaced, keeping the chain of wrapped
// errors where it can (url.Error carries the URL, and with it the secret).
func scrub(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if strings.Contains(inner.Error(), secret) {
			inner = errors.New(strings.ReplaceAll(inner.Error(), secret, "REDACTED"))
		}
		err = &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, secret, "REDACTED"), Err: inner}
	}
	if strings.Contains(err.Error(), secret) {
		return errors.New(strings.ReplaceAll(err.Error(), secret, "REDACTED"))
	}
	return err
}
