package httpsend

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
)

const secret = "s3cr3t-TOKEN-value"

// received is what the test server saw of a request.
type received struct {
	Method, Path, ContentType, UserAgent, Body string
	ContentLength                              int64
	Chunked                                    bool
}

func TestSendPassesTheAnswerOn(t *testing.T) {
	t.Parallel()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), UserAgent: r.UserAgent(),
			Body: string(b), ContentLength: r.ContentLength, Chunked: len(r.TransferEncoding) > 0}
		w.Header().Set("X-Answer", "yes")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "0123456789")
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		req      Request
		want     received
		wantBody string
	}{
		{
			name: "known length",
			req: Request{Method: http.MethodPost, Body: strings.NewReader(`{"a":1}`), ContentLength: 7, ContentType: "application/json",
				Header: http.Header{"User-Agent": {"HeraldTest"}}, MaxAnswer: 100},
			want:     received{Method: "POST", Path: "/hook/" + secret, ContentType: "application/json", UserAgent: "HeraldTest", Body: `{"a":1}`, ContentLength: 7},
			wantBody: "0123456789",
		},
		{
			name:     "unknown length goes chunked",
			req:      Request{Method: http.MethodPost, Body: io.MultiReader(strings.NewReader("ab"), strings.NewReader("c")), ContentLength: -1, MaxAnswer: 100},
			want:     received{Method: "POST", Path: "/hook/" + secret, UserAgent: "Go-http-client/1.1", Body: "abc", ContentLength: -1, Chunked: true},
			wantBody: "0123456789",
		},
		{
			name:     "no body",
			req:      Request{Method: http.MethodGet, ContentLength: 99, MaxAnswer: 4},
			want:     received{Method: "GET", Path: "/hook/" + secret, UserAgent: "Go-http-client/1.1"},
			wantBody: "0123",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Network, tt.req.URL, tt.req.Secret = "Example", srv.URL+"/hook/"+secret, secret
			a, err := Send(context.Background(), srv.Client(), tt.req)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if a.Status != http.StatusTeapot || a.Header.Get("X-Answer") != "yes" || string(a.Body) != tt.wantBody {
				t.Errorf("answer = %d %v %q, want 418, X-Answer and %q", a.Status, a.Header, a.Body, tt.wantBody)
			}
			if diff := cmp.Diff(tt.want, <-got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// hangUp answers nothing: it reads the whole request, then closes the
// connection, as a network that processed a request and lost the answer.
func hangUp(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// cutOff announces a longer answer than it sends.
func cutOff(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"id\":")
	buf.Flush()
	conn.Close()
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	lost := httptest.NewServer(http.HandlerFunc(hangUp))
	t.Cleanup(lost.Close)
	cut := httptest.NewServer(http.HandlerFunc(cutOff))
	t.Cleanup(cut.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	tests := []struct {
		name     string
		base     string
		create   bool
		body     io.Reader
		want     provider.ErrorKind
		wantCode string
		wantMsg  string
	}{
		{name: "unreachable create", base: dead.URL, create: true, want: provider.KindTransient, wantMsg: "could not reach Example"},
		{name: "unreachable read", base: dead.URL, want: provider.KindTransient, wantMsg: "could not reach Example"},
		{name: "create lost after sending", base: lost.URL, create: true, want: provider.KindOutcomeUnknown, wantMsg: "Example did not answer; the message may have been posted"},
		{name: "read lost after sending", base: lost.URL, want: provider.KindTransient, wantMsg: "could not reach Example"},
		{name: "create with a cut-off answer", base: cut.URL, create: true, want: provider.KindOutcomeUnknown, wantCode: "200", wantMsg: "the answer from Example was cut off"},
		{name: "read with a cut-off answer", base: cut.URL, want: provider.KindTransient, wantCode: "200", wantMsg: "the answer from Example was cut off"},
		{name: "create whose body fails", base: lost.URL, create: true, body: io.MultiReader(strings.NewReader("abc"), iotest{}),
			want: provider.KindTransient, wantMsg: "could not reach Example"},
		{name: "bad URL", base: "http://bad host", create: true, want: provider.KindTransient, wantMsg: "cannot build the request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Request{Network: "Example", Method: http.MethodPost, URL: tt.base + "/hook/" + secret, Secret: secret,
				Body: tt.body, ContentLength: -1, Create: tt.create, MaxAnswer: 1 << 10}
			if r.Body == nil {
				r.Body, r.ContentLength = strings.NewReader("hello"), 5
			}
			_, err := Send(context.Background(), &http.Client{}, r)
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *provider.Error", err, err)
			}
			got := struct {
				Kind          provider.ErrorKind
				Code, Message string
			}{pe.Kind, pe.Code, pe.Message}
			want := struct {
				Kind          provider.ErrorKind
				Code, Message string
			}{tt.want, tt.wantCode, tt.wantMsg}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s\n(err: %v)", diff, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the secret", err)
			}
			if pe.Err == nil {
				t.Error("the cause was dropped")
			}
		})
	}
}

// iotest is a body that fails part-way through.
type iotest struct{}

func (iotest) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

func TestScrubKeepsTheURLError(t *testing.T) {
	t.Parallel()
	inner := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused for /hook/" + secret)}
	err := scrub(&url.Error{Op: "Post", URL: "http://x/hook/" + secret, Err: inner}, secret)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("scrub(%v) lost the *url.Error", err)
	}
	if diff := cmp.Diff("http://x/hook/REDACTED", ue.URL); diff != "" {
		t.Errorf("URL (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("scrubbed error %q shows the secret", err)
	}
	plain := scrub(errors.New("token "+secret+" refused"), secret)
	if diff := cmp.Diff("token REDACTED refused", plain.Error()); diff != "" {
		t.Errorf("plain error (-want +got):\n%s", diff)
	}
	if err := scrub(nil, secret); err != nil {
		t.Errorf("scrub(nil) = %v", err)
	}
}

func TestUncertainKind(t *testing.T) {
	t.Parallel()
	if got := UncertainKind(true); got != provider.KindOutcomeUnknown {
		t.Errorf("UncertainKind(create) = %v, want KindOutcomeUnknown", got)
	}
	if got := UncertainKind(false); got != provider.KindTransient {
		t.Errorf("UncertainKind(read) = %v, want KindTransient", got)
	}
}

// The progress tracker counts a request as possibly arrived once its
// headers were written, unless the transport reported that the write
// failed: a request that never arrived whole cannot have taken effect.
func TestWriteProgress(t *testing.T) {
	t.Parallel()
	wrote := func(err error) func(*httptrace.ClientTrace) {
		return func(ct *httptrace.ClientTrace) {
			ct.WroteHeaders()
			ct.WroteRequest(httptrace.WroteRequestInfo{Err: err})
		}
	}
	tests := []struct {
		name   string
		events func(*httptrace.ClientTrace)
		want   bool
	}{
		{name: "nothing written", events: func(*httptrace.ClientTrace) {}, want: false},
		{name: "written", events: wrote(nil), want: true},
		{name: "write failed", events: wrote(errors.New("broken pipe")), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var w writeProgress
			tt.events(w.trace())
			if got := w.mayHaveArrived(); got != tt.want {
				t.Errorf("mayHaveArrived = %v, want %v", got, tt.want)
			}
		})
	}
}

// Headers written with no verdict on the rest: the transport may still be
// writing, so the tracker waits for the verdict.
func TestWriteProgressWaitsForTheVerdict(t *testing.T) {
	t.Parallel()
	var w writeProgress
	ct := w.trace()
	ct.WroteHeaders()
	go ct.WroteRequest(httptrace.WroteRequestInfo{Err: errors.New("connection closed")})
	if w.mayHaveArrived() {
		t.Error("mayHaveArrived = true after a failed write")
	}
}
