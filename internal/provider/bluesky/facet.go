package bluesky

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/provider"
)

// Facet is an app.bsky.richtext.facet: a byte range of the post's UTF-8
// text and what it means.
type Facet struct {
	Index    ByteSlice `json:"index"`
	Features []Feature `json:"features"`
}

// ByteSlice is a [ByteStart, ByteEnd) range in UTF-8 bytes, not characters.
type ByteSlice struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// Feature is one of #link (URI), #mention (DID) or #tag (Tag, without #).
type Feature struct {
	Type string `json:"$type"`
	URI  string `json:"uri,omitempty"`
	DID  string `json:"did,omitempty"`
	Tag  string `json:"tag,omitempty"`
}

// Feature types.
const (
	FeatureLink    = "app.bsky.richtext.facet#link"
	FeatureMention = "app.bsky.richtext.facet#mention"
	FeatureTag     = "app.bsky.richtext.facet#tag"
)

// mentionRE follows the Bluesky app's detection: @handle after the start,
// a space or "(".
var mentionRE = regexp.MustCompile(`(?:^|\s|\()(@[a-zA-Z0-9.-]+)`)

// handleRE is the atproto handle syntax (a domain name whose last label
// does not start with a digit).
var handleRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// tagStartRE finds "#" or "＃" at the start or after whitespace.
var tagStartRE = regexp.MustCompile(`(?:^|\s)([#＃])`)

// Resolver maps a handle to its DID; ok is false when it cannot.
type Resolver func(ctx context.Context, handle string) (did string, ok bool)

// DetectFacets finds links (http(s) URLs), mentions (@handle, kept only
// when resolve knows the handle) and hashtags in text, with UTF-8 byte
// offsets, sorted and never overlapping.
func DetectFacets(ctx context.Context, text string, resolve Resolver) []Facet {
	var facets []Facet
	for _, r := range provider.FindURLs(text) {
		facets = append(facets, Facet{Index: ByteSlice{r[0], r[1]}, Features: []Feature{{Type: FeatureLink, URI: text[r[0]:r[1]]}}})
	}
	for _, m := range mentionRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		handle := strings.TrimRight(text[start+1:end], ".-")
		end = start + 1 + len(handle)
		if !handleRE.MatchString(handle) || resolve == nil {
			continue
		}
		did, ok := resolve(ctx, strings.ToLower(handle))
		if !ok {
			continue
		}
		facets = append(facets, Facet{Index: ByteSlice{start, end}, Features: []Feature{{Type: FeatureMention, DID: did}}})
	}
	for _, m := range tagStartRE.FindAllStringSubmatchIndex(text, -1) {
		start := m[2]
		rest := text[m[3]:]
		if strings.HasPrefix(rest, "\uFE0F") || strings.HasPrefix(rest, "\u20E3") {
			continue // keycap "#️⃣", not a tag
		}
		tag := rest
		if i := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }); i >= 0 {
			tag = rest[:i]
		}
		tag = strings.TrimRightFunc(tag, unicode.IsPunct)
		if tag == "" || utf8.RuneCountInString(tag) > 64 || !strings.ContainsFunc(tag, func(r rune) bool { return !unicode.IsDigit(r) && !unicode.IsPunct(r) }) {
			continue
		}
		facets = append(facets, Facet{Index: ByteSlice{start, m[3] + len(tag)}, Features: []Feature{{Type: FeatureTag, Tag: tag}}})
	}
	sort.SliceStable(facets, func(i, j int) bool { return facets[i].Index.ByteStart < facets[j].Index.ByteStart })
	out := facets[:0]
	end := 0
	for _, f := range facets {
		if f.Index.ByteStart < end {
			continue // inside an earlier facet (a link's fragment, say)
		}
		out = append(out, f)
		end = f.Index.ByteEnd
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func isInvisible(r rune) bool {
	switch r {
	case 0x00AD, 0x2060, 0x200A, 0x200B, 0x200C, 0x200D, 0x20E2:
		return true
	}
	return false
}

// handleResolver resolves handles with com.atproto.identity.resolveHandle
// on the account's PDS, caching answers for one post.
func (p *Provider) handleResolver(pds string) Resolver {
	cache := map[string]string{}
	return func(ctx context.Context, handle string) (string, bool) {
		if did, ok := cache[handle]; ok {
			return did, did != ""
		}
		var out struct {
			DID string `json:"did"`
		}
		err := p.do(ctx, call{method: http.MethodGet, url: pds + "/xrpc/com.atproto.identity.resolveHandle?" + url.Values{"handle": {handle}}.Encode()}, &out)
		if err != nil || !strings.HasPrefix(out.DID, "did:") {
			cache[handle] = ""
			return "", false
		}
		cache[handle] = out.DID
		return out.DID, true
	}
}
