package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/testpeer"
)

// pdsUser is an account on the shared PDS.
type pdsUser struct {
	Handle, Email, Password, DID string
}

// newPDSUser makes an account with a random handle ("alice-1a2b3c.test").
func newPDSUser(t *testing.T, pds *testpeer.PDS, prefix string) pdsUser {
	t.Helper()
	u := pdsUser{
		Handle:   prefix + "-" + randomSuffix(t, 6) + ".test",
		Email:    prefix + "." + randomSuffix(t, 8) + "@example.org",
		Password: "pass-" + randomSuffix(t, 16),
	}
	u.DID = pds.CreateAccount(t, u.Handle, u.Email, u.Password)
	return u
}

// pdsReader reads repositories from the PDS without signing in, as any
// AT Protocol client can.
type pdsReader struct {
	base string
	hc   *http.Client
}

func newPDSReader(pds *testpeer.PDS) *pdsReader {
	return &pdsReader{base: pds.URL(), hc: &http.Client{Timeout: requestTimeout}}
}

// xrpc makes an XRPC query and returns the status and body.
func (r *pdsReader) xrpc(t *testing.T, method string, q url.Values) (int, []byte) {
	t.Helper()
	resp, err := r.hc.Get(r.base + "/xrpc/" + method + "?" + q.Encode())
	if err != nil {
		t.Fatalf("PDS %s: %v", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatalf("PDS %s: read: %v", method, err)
	}
	return resp.StatusCode, b
}

// bskyRecord is com.atproto.repo.getRecord's answer for a post.
type bskyRecord struct {
	URI   string   `json:"uri"`
	CID   string   `json:"cid"`
	Value bskyPost `json:"value"`
}

// bskyPost is an app.bsky.feed.post record, with the fields Herald writes.
type bskyPost struct {
	Type      string      `json:"$type"`
	Text      string      `json:"text"`
	CreatedAt string      `json:"createdAt"`
	Langs     []string    `json:"langs"`
	Facets    []bskyFacet `json:"facets"`
	Embed     *struct {
		Type   string      `json:"$type"`
		Images []bskyImage `json:"images"`
	} `json:"embed"`
}

type bskyFacet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []map[string]string `json:"features"`
}

type bskyImage struct {
	Alt         string `json:"alt"`
	AspectRatio *struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"aspectRatio"`
	Image struct {
		Type string `json:"$type"`
		Ref  struct {
			Link string `json:"$link"`
		} `json:"ref"`
		MimeType string `json:"mimeType"`
		Size     int    `json:"size"`
	} `json:"image"`
}

// record reads the post at an AT URI (at://DID/app.bsky.feed.post/RKEY),
// failing the test unless it exists.
func (r *pdsReader) record(t *testing.T, atURI string) bskyRecord {
	t.Helper()
	status, b := r.getRecord(t, atURI)
	if status != http.StatusOK {
		t.Fatalf("PDS getRecord %s: status %d: %.2000s", atURI, status, b)
	}
	var rec bskyRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("PDS getRecord %s: %v: %.2000s", atURI, err, b)
	}
	return rec
}

func (r *pdsReader) getRecord(t *testing.T, atURI string) (int, []byte) {
	t.Helper()
	did, collection, rkey := splitATURI(t, atURI)
	return r.xrpc(t, "com.atproto.repo.getRecord", url.Values{"repo": {did}, "collection": {collection}, "rkey": {rkey}})
}

// blob fetches a blob's bytes with com.atproto.sync.getBlob.
func (r *pdsReader) blob(t *testing.T, did, cid string) []byte {
	t.Helper()
	status, b := r.xrpc(t, "com.atproto.sync.getBlob", url.Values{"did": {did}, "cid": {cid}})
	if status != http.StatusOK {
		t.Fatalf("PDS getBlob %s %s: status %d: %.500s", did, cid, status, b)
	}
	return b
}

// countPosts counts the app.bsky.feed.post records of a repository whose
// text is text, among its latest 100 (com.atproto.repo.listRecords).
func (r *pdsReader) countPosts(t *testing.T, did, text string) int {
	t.Helper()
	status, b := r.xrpc(t, "com.atproto.repo.listRecords", url.Values{"repo": {did}, "collection": {"app.bsky.feed.post"}, "limit": {"100"}})
	var out struct {
		Records []bskyRecord `json:"records"`
	}
	if status != http.StatusOK {
		t.Fatalf("PDS listRecords %s: status %d: %.500s", did, status, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("PDS listRecords %s: %v: %.500s", did, err, b)
	}
	n := 0
	for _, rec := range out.Records {
		if rec.Value.Text == text {
			n++
		}
	}
	return n
}

// resolveHandle returns the DID the PDS gives for a handle.
func (r *pdsReader) resolveHandle(t *testing.T, handle string) string {
	t.Helper()
	status, b := r.xrpc(t, "com.atproto.identity.resolveHandle", url.Values{"handle": {handle}})
	var out struct {
		DID string `json:"did"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &out) != nil || out.DID == "" {
		t.Fatalf("PDS resolveHandle %s: status %d: %.500s", handle, status, b)
	}
	return out.DID
}

// splitATURI splits at://DID/COLLECTION/RKEY.
func splitATURI(t *testing.T, atURI string) (did, collection, rkey string) {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(atURI, "at://"), "/")
	if !strings.HasPrefix(atURI, "at://") || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		t.Fatalf("%q is not an AT URI of a record (at://DID/COLLECTION/RKEY)", atURI)
	}
	return parts[0], parts[1], parts[2]
}
