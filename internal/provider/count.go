package provider

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// Text counters. Every network counts a post's length its own way, and one
// len() is wrong for all of them; Rules.Count holds one of these.

// CountRunes counts Unicode code points.
func CountRunes(s string) int { return utf8.RuneCountInString(s) }

// CountGraphemes counts user-perceived characters (extended grapheme
// clusters, UAX #29): a family emoji joined with ZWJs, a flag, or a letter
// with combining marks each count once. Bluesky counts this way.
func CountGraphemes(s string) int { return uniseg.GraphemeClusterCount(s) }

// CountBytes counts UTF-8 bytes (Bluesky's second limit).
func CountBytes(s string) int { return len(s) }

// DefaultURLLength is the length Mastodon and X count for every URL.
const DefaultURLLength = 23

// CountMastodon returns Mastodon's counter for an instance whose
// characters_reserved_per_url is reservedPerURL (0 or less means the
// default, 23). It mirrors Mastodon's StatusLengthValidator: every URL with a
// scheme counts as reservedPerURL characters, a mention @user@domain counts as
// @user, and the result is counted in grapheme clusters.
//
// Limits of the mirror: Mastodon extracts URLs with twitter-text's full
// grammar (valid TLDs, balanced parentheses); here a URL is http(s)://
// followed by non-space characters minus trailing punctuation, which agrees
// on the URLs people write. The content warning, which Mastodon adds to the
// count, is not part of the text passed here.
func CountMastodon(reservedPerURL int) func(string) int {
	if reservedPerURL <= 0 {
		reservedPerURL = DefaultURLLength
	}
	return func(s string) int {
		n := 0
		for _, seg := range splitEntities(s, true) {
			switch seg.kind {
			case segURL:
				n += reservedPerURL
			case segMention:
				// "@user@domain" counts as "@user".
				local := seg.text
				if i := strings.IndexByte(local[1:], '@'); i >= 0 {
					local = local[:i+1]
				}
				n += uniseg.GraphemeClusterCount(local)
			default:
				n += uniseg.GraphemeClusterCount(seg.text)
			}
		}
		return n
	}
}

// CountX counts X's weighted length (twitter-text configuration v3, limit
// 280): the text is NFC-normalised; code points in U+0000–U+10FF,
// U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, all others 2; each
// URL weighs 23; an emoji sequence (ZWJ family, flag, keycap, skin tone,
// variation selector) weighs 2 as a whole.
//
// Limits: twitter-text also recognises URLs without a scheme ("example.com")
// using its TLD list; only http(s):// URLs are recognised here, so such text
// is counted character by character (which over-counts, the safe side).
func CountX(s string) int {
	s = norm.NFC.String(s)
	n := 0
	for _, seg := range splitEntities(s, false) {
		if seg.kind == segURL {
			n += DefaultURLLength
			continue
		}
		state := -1
		rest := seg.text
		var cluster string
		for rest != "" {
			cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
			if isEmojiCluster(cluster) {
				n += 2
				continue
			}
			for _, r := range cluster {
				n += xWeight(r)
			}
		}
	}
	return n
}

func xWeight(r rune) int {
	switch {
	case r <= 0x10FF,
		r >= 0x2000 && r <= 0x200D,
		r >= 0x2010 && r <= 0x201F,
		r >= 0x2032 && r <= 0x2037:
		return 1
	}
	return 2
}

// CountThreads counts the way Threads does for its 500-character limit: an
// emoji counts as its UTF-8 byte length (a flag is 8, a family emoji 25),
// every other code point as 1.
func CountThreads(s string) int {
	n := 0
	state := -1
	rest := s
	var cluster string
	for rest != "" {
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if isEmojiCluster(cluster) {
			n += len(cluster)
			continue
		}
		n += utf8.RuneCountInString(cluster)
	}
	return n
}

// isEmojiCluster reports whether a grapheme cluster is an emoji: a single
// pictographic code point, or a sequence carrying the marks only emoji
// sequences carry (ZWJ, VS16, keycap, skin tone, regional indicators, tags).
// Text-presentation symbols such as a bare © are not emoji here, as in
// twitter-text.
func isEmojiCluster(c string) bool {
	first, size := utf8.DecodeRuneInString(c)
	if size == len(c) {
		return isPictographic(first)
	}
	for _, r := range c {
		switch {
		case r == 0x200D && isPictographic(first),
			r == 0xFE0F,
			r == 0x20E3,
			r >= 0x1F3FB && r <= 0x1F3FF,
			r >= 0x1F1E6 && r <= 0x1F1FF,
			r >= 0xE0020 && r <= 0xE007F:
			return true
		}
	}
	return isPictographic(first)
}

// isPictographic covers the blocks where emoji with default emoji
// presentation live (a close, table-free subset of Extended_Pictographic).
func isPictographic(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // mahjong … symbols and pictographs extended-A
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats
		r >= 0x2B00 && r <= 0x2BFF, // arrows, stars (⭐ ⬛)
		r >= 0x2300 && r <= 0x23FF, // ⌚ ⏰
		r >= 0x1F1E6 && r <= 0x1F1FF:
		return true
	}
	return false
}

type segKind int

const (
	segText segKind = iota
	segURL
	segMention
)

type segment struct {
	kind segKind
	text string
}

// urlRE matches a URL with a scheme; trailing punctuation is trimmed after.
var urlRE = regexp.MustCompile(`(?i)https?://[^\s<>"]+`)

// mentionRE follows Mastodon's Account::MENTION_RE: @user or @user@domain,
// not preceded by a word character, "=" or "/". RE2 has no look-behind, so
// the preceding character is matched and skipped by the caller.
var mentionRE = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}_=/@])(@[a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?(?:@[\p{L}\p{N}_.\-]+[\p{L}\p{N}_]+)?)`)

// splitEntities cuts s into text, URL and (if mentions) mention segments.
func splitEntities(s string, mentions bool) []segment {
	type span struct {
		start, end int
		kind       segKind
	}
	var spans []span
	for _, m := range urlRE.FindAllStringIndex(s, -1) {
		end := m[0] + len(trimURL(s[m[0]:m[1]]))
		spans = append(spans, span{m[0], end, segURL})
	}
	if mentions {
		for _, m := range mentionRE.FindAllStringSubmatchIndex(s, -1) {
			start, end := m[2], m[3]
			overlaps := false
			for _, u := range spans {
				if start < u.end && end > u.start {
					overlaps = true
					break
				}
			}
			if !overlaps {
				spans = append(spans, span{start, end, segMention})
			}
		}
		// Order by start; URL spans were found first, mentions after.
		for i := 1; i < len(spans); i++ {
			for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
				spans[j], spans[j-1] = spans[j-1], spans[j]
			}
		}
	}
	var out []segment
	last := 0
	for _, sp := range spans {
		if sp.start > last {
			out = append(out, segment{segText, s[last:sp.start]})
		}
		out = append(out, segment{sp.kind, s[sp.start:sp.end]})
		last = sp.end
	}
	if last < len(s) {
		out = append(out, segment{segText, s[last:]})
	}
	return out
}

// trimURL drops punctuation that ends a sentence rather than the URL, and a
// closing parenthesis that has no opening one inside the URL.
func trimURL(u string) string {
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,:;!?'\"*", last) >= 0:
			u = u[:len(u)-1]
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
			u = u[:len(u)-1]
		default:
			return u
		}
	}
	return u
}

// FindURLs returns the byte ranges [start, end) of the http(s) URLs in s, as
// the counters see them. Providers use it to build link facets.
func FindURLs(s string) [][2]int {
	var out [][2]int
	for _, m := range urlRE.FindAllStringIndex(s, -1) {
		end := m[0] + len(trimURL(s[m[0]:m[1]]))
		if end-m[0] > len("https://") {
			out = append(out, [2]int{m[0], end})
		}
	}
	return out
}
