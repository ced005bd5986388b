package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxy stands between Herald and a fake network. It plays the network's
// part in a crash: it reads a request, then forwards it to the fake even
// if Herald dies meanwhile (a request that reached the network is
// processed), and it answers only after a delay, so that a kill often
// lands between the network's processing and Herald's recording of it.
// It logs every publishing request with the text it carried and when it
// was answered.
type proxy struct {
	// URL is where Herald is told the network lives.
	URL string

	network  string
	upstream string
	client   *http.Client
	srv      *httptest.Server
	// before and after bound the random delay before forwarding and
	// before answering.
	before, after [2]time.Duration
	// publishText returns the text of a request that publishes, or false.
	publishText func(r *http.Request, body []byte) (string, bool)

	mu      sync.Mutex
	flights []*flight
}

// flight is one publishing request.
type flight struct {
	network  string
	text     string
	arrived  time.Time
	answered time.Time // zero until the answer is being written
	status   int       // the fake's answer
}

func newProxy(t *testing.T, network, upstream string, before, after [2]time.Duration, publishText func(*http.Request, []byte) (string, bool)) *proxy {
	p := &proxy{
		network:  network,
		upstream: strings.TrimRight(upstream, "/"),
		// Enough idle connections for every worker, so that forwarding
		// does not open a connection per request.
		client:      &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}, Timeout: time.Minute},
		before:      before,
		after:       after,
		publishText: publishText,
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func randDuration(r [2]time.Duration) time.Duration {
	if r[1] <= r[0] {
		return r[0]
	}
	return r[0] + rand.N(r[1]-r[0])
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // Herald died while sending: nothing reached the network
	}
	var f *flight
	if text, ok := p.publishText(r, body); ok {
		f = &flight{network: p.network, text: text, arrived: time.Now()}
		p.mu.Lock()
		p.flights = append(p.flights, f)
		p.mu.Unlock()
	}
	time.Sleep(randDuration(p.before))
	// The request goes on whatever happens to Herald.
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// The fakes name themselves in answers (a DID document's PDS): Herald
	// must keep talking to the proxy.
	data = bytes.ReplaceAll(data, []byte(p.upstream), []byte(p.URL))
	time.Sleep(randDuration(p.after))
	if f != nil {
		p.mu.Lock()
		f.answered, f.status = time.Now(), resp.StatusCode
		p.mu.Unlock()
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

// key names the target of a flight, as finalTarget.key does.
func (f flight) key() string { return targetKey(f.network, f.text) }

// inFlight returns the publishing requests that arrived after since and
// before t and were not answered before t. Requests of a process killed
// before since are left out: the proxy still completes them, late on a
// loaded machine, and they are not the current process's.
func (p *proxy) inFlight(since, t time.Time) []flight {
	var out []flight
	for _, f := range p.unanswered(t, t) {
		if f.arrived.After(since) {
			out = append(out, f)
		}
	}
	return out
}

// unanswered returns the publishing requests that arrived before killedAt
// and whose answer was not written before deadAt: the process that sent
// them cannot have learnt their outcome. (Answers written between the two
// instants may or may not have been read.)
func (p *proxy) unanswered(killedAt, deadAt time.Time) []flight {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []flight
	for _, f := range p.flights {
		if f.arrived.Before(killedAt) && (f.answered.IsZero() || f.answered.After(deadAt)) {
			out = append(out, *f)
		}
	}
	return out
}

// The requests that publish, per network.

func mastodonPublish(r *http.Request, body []byte) (string, bool) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/statuses" {
		return "", false
	}
	var in struct {
		Status string `json:"status"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(body, &in)
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		in.Status = form.Get("status")
	}
	return in.Status, true
}

func blueskyPublish(r *http.Request, body []byte) (string, bool) {
	if r.Method != http.MethodPost || (r.URL.Path != "/xrpc/com.atproto.repo.putRecord" && r.URL.Path != "/xrpc/com.atproto.repo.createRecord") {
		return "", false
	}
	var in struct {
		Record struct {
			Text string `json:"text"`
		} `json:"record"`
	}
	json.Unmarshal(body, &in)
	return in.Record.Text, true
}

func discordPublish(r *http.Request, body []byte) (string, bool) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/api/webhooks/") || strings.Contains(r.URL.Path, "/messages/") {
		return "", false
	}
	var in struct {
		Content string `json:"content"`
	}
	json.Unmarshal(body, &in)
	return in.Content, true
}
