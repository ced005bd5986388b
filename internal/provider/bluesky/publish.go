package bluesky

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// PostCollection is the NSID of a Bluesky post record.
const PostCollection = "app.bsky.feed.post"

const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// RecordKey derives the post's record key from PublishRequest.Key, so every
// attempt of one target writes the same record. app.bsky.feed.post keys
// must have TID syntax (13 base32-sortable characters, top bit zero), so
// the key is the first 63 bits of SHA-256("herald:" + key) in that
// encoding. The "timestamp" inside such a TID is meaningless; nothing in
// the protocol reads it, while a collision between two targets (which
// would make the second look already published) is a 2^-63 event.
func RecordKey(key string) string {
	sum := sha256.Sum256([]byte("herald:" + key))
	v := binary.BigEndian.Uint64(sum[:8]) >> 1
	var out [13]byte
	for i := 12; i >= 0; i-- {
		out[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(out[:])
}

// blobRef is a blob as uploadBlob returns it; it is embedded verbatim.
type blobRef = json.RawMessage

type aspectRatio struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

type embedImage struct {
	Image       blobRef      `json:"image"`
	Alt         string       `json:"alt"` // required by the lexicon, may be empty
	AspectRatio *aspectRatio `json:"aspectRatio,omitempty"`
}

type post struct {
	Type      string   `json:"$type"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs,omitempty"`
	Facets    []Facet  `json:"facets,omitempty"`
	Embed     any      `json:"embed,omitempty"`
}

// Publish uploads images (or one video) with uploadBlob, builds the post
// record with its facets, and writes it with putRecord under
// RecordKey(req.Key) and swapRecord null ("only if absent"). A retry that
// finds the record already there (InvalidSwap, or an identical rewrite,
// which the PDS treats as a no-op) returns the existing post.
//
// Options: "language" (or "langs", comma-separated, at most 3).
//
// After a 5xx or a timeout on the write, the record is looked up at once:
// found means published; proved absent means KindTransient (retrying
// cannot duplicate: the record key is fixed); otherwise KindOutcomeUnknown.
//
// Videos are uploaded as a blob to the PDS and embedded as
// app.bsky.embed.video; the Bluesky video service (app.bsky.video.
// uploadVideo with service auth), which transcodes ahead of time, is not used.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, err := credentials(acct)
	if err != nil {
		return nil, err
	}
	rkey := RecordKey(req.Key)
	embed, err := p.embed(ctx, acct, req.Media)
	if err != nil {
		return nil, err
	}
	rec := post{
		Type:      PostCollection,
		Text:      req.Text,
		CreatedAt: p.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Langs:     langs(req.Options),
		Facets:    DetectFacets(ctx, req.Text, p.handleResolver(c.PDS)),
		Embed:     embed,
	}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	err = p.authed(ctx, acct, func(c Credentials) error {
		body, _ := json.Marshal(map[string]any{
			"repo": c.DID, "collection": PostCollection, "rkey": rkey,
			"record": rec, "swapRecord": nil,
		})
		return p.do(ctx, call{method: http.MethodPost, url: c.PDS + "/xrpc/com.atproto.repo.putRecord", token: c.AccessJwt, body: bytes.NewReader(body), create: true}, &out)
	})
	c, _ = credentials(acct) // the handle may have changed with a refresh
	switch {
	case err == nil:
		if out.URI == "" {
			break
		}
		created, _ := time.Parse(time.RFC3339Nano, rec.CreatedAt)
		return p.published(c, rkey, created), nil
	case errorCode(err) == "InvalidSwap":
		// An earlier attempt wrote the record: that is this post.
		if pub, ferr := p.find(ctx, c, rkey); ferr == nil {
			return pub, nil
		}
		return nil, err
	case kindOf(err) == provider.KindOutcomeUnknown:
		if ctx.Err() != nil {
			return nil, err
		}
		pub, ferr := p.find(ctx, c, rkey)
		switch {
		case ferr == nil:
			return pub, nil
		case errors.Is(ferr, provider.ErrNotPublished):
			pe := err.(*provider.Error)
			return nil, &provider.Error{Kind: provider.KindTransient, Code: pe.Code, Message: pe.Message + " (the post was not stored; retrying is safe)", Err: err}
		}
		return nil, err
	default:
		return nil, err
	}
	// 2xx without a uri: the write probably happened; check.
	if pub, ferr := p.find(ctx, c, rkey); ferr == nil {
		return pub, nil
	}
	return nil, provider.Errorf(provider.KindOutcomeUnknown, "malformed", "the server answered the post without a record URI")
}

func langs(opts map[string]string) []string {
	v := strings.TrimSpace(opts["langs"])
	if v == "" {
		v = strings.TrimSpace(opts["language"])
	}
	if v == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(v, ",") {
		if l = strings.TrimSpace(l); l != "" && len(out) < 3 {
			out = append(out, l)
		}
	}
	return out
}

// embed uploads the media and returns the post's embed (nil without media).
func (p *Provider) embed(ctx context.Context, acct *provider.Account, media []provider.Media) (any, error) {
	if len(media) == 0 {
		return nil, nil
	}
	if media[0].Kind == "video" {
		if len(media) > 1 {
			return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "Bluesky takes one video alone")
		}
		blob, err := p.uploadBlob(ctx, acct, media[0])
		if err != nil {
			return nil, err
		}
		v := map[string]any{"$type": "app.bsky.embed.video", "video": blob}
		if media[0].AltText != "" {
			v["alt"] = media[0].AltText
		}
		if ar := ratio(media[0]); ar != nil {
			v["aspectRatio"] = ar
		}
		return v, nil
	}
	images := make([]embedImage, 0, len(media))
	for i, m := range media {
		if m.Kind == "video" {
			return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "Bluesky cannot mix images and a video")
		}
		blob, err := p.uploadBlob(ctx, acct, m)
		if err != nil {
			return nil, fmt.Errorf("media %d: %w", i+1, err)
		}
		images = append(images, embedImage{Image: blob, Alt: m.AltText, AspectRatio: ratio(m)})
	}
	return map[string]any{"$type": "app.bsky.embed.images", "images": images}, nil
}

func ratio(m provider.Media) *aspectRatio {
	if m.Width > 0 && m.Height > 0 {
		return &aspectRatio{Width: m.Width, Height: m.Height}
	}
	return nil
}

// uploadBlob sends the file as the raw body of com.atproto.repo.uploadBlob.
// Nothing is posted yet, so failures are transient or rejected.
func (p *Provider) uploadBlob(ctx context.Context, acct *provider.Account, m provider.Media) (blobRef, error) {
	if m.Open == nil {
		return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "media has no content")
	}
	var out struct {
		Blob blobRef `json:"blob"`
	}
	err := p.authed(ctx, acct, func(c Credentials) error {
		f, err := m.Open(ctx)
		if err != nil {
			return &provider.Error{Kind: provider.KindTransient, Code: "media_open", Message: "could not read the media file", Err: err}
		}
		defer f.Close()
		ct := m.MIME
		if ct == "" {
			ct = "application/octet-stream"
		}
		return p.do(ctx, call{method: http.MethodPost, url: c.PDS + "/xrpc/com.atproto.repo.uploadBlob", token: c.AccessJwt, body: f, contentType: ct, contentLength: m.Size}, &out)
	})
	if err != nil {
		return nil, err
	}
	if len(out.Blob) == 0 || string(out.Blob) == "null" {
		return nil, provider.Errorf(provider.KindTransient, "malformed", "the server answered the upload without a blob")
	}
	return out.Blob, nil
}

func (p *Provider) published(c Credentials, rkey string, at time.Time) *provider.Published {
	who := c.Handle
	if who == "" {
		who = c.DID
	}
	return &provider.Published{
		RemoteID:    "at://" + c.DID + "/" + PostCollection + "/" + rkey,
		URL:         p.cfg.AppURL + "/profile/" + who + "/post/" + rkey,
		PublishedAt: at.UTC(),
	}
}

// find reads the post record at rkey with com.atproto.repo.getRecord.
func (p *Provider) find(ctx context.Context, c Credentials, rkey string) (*provider.Published, error) {
	q := url.Values{"repo": {c.DID}, "collection": {PostCollection}, "rkey": {rkey}}
	var out struct {
		URI   string `json:"uri"`
		Value struct {
			CreatedAt string `json:"createdAt"`
		} `json:"value"`
	}
	err := p.do(ctx, call{method: http.MethodGet, url: c.PDS + "/xrpc/com.atproto.repo.getRecord?" + q.Encode()}, &out)
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && (pe.Code == "RecordNotFound" || pe.Code == "404") {
			return nil, provider.ErrNotPublished
		}
		return nil, err
	}
	if out.URI == "" {
		return nil, provider.Errorf(provider.KindTransient, "malformed", "the server answered getRecord without a record")
	}
	at, _ := time.Parse(time.RFC3339Nano, out.Value.CreatedAt)
	return p.published(c, rkey, at), nil
}

// Find looks the post up by its record key: the record exists (published)
// or the PDS says RecordNotFound (ErrNotPublished, retrying is safe).
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, err := credentials(acct)
	if err != nil {
		return nil, err
	}
	return p.find(ctx, c, RecordKey(req.Key))
}

// Delete removes the post with com.atproto.repo.deleteRecord. remoteID is
// the AT URI Publish returned (a bare record key is accepted too). Deleting
// a record that does not exist succeeds, as on the PDS.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	rkey := remoteID
	if i := strings.LastIndexByte(remoteID, '/'); i >= 0 {
		rkey = remoteID[i+1:]
	}
	if rkey == "" {
		return provider.Errorf(provider.KindRejected, "InvalidRequest", "no record key in %q", remoteID)
	}
	return p.authed(ctx, acct, func(c Credentials) error {
		body, _ := json.Marshal(map[string]string{"repo": c.DID, "collection": PostCollection, "rkey": rkey})
		return p.do(ctx, call{method: http.MethodPost, url: c.PDS + "/xrpc/com.atproto.repo.deleteRecord", token: c.AccessJwt, body: bytes.NewReader(body)}, nil)
	})
}
