package provider

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	family   = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466" // 👨‍👩‍👧‍👦: 7 code points, 25 bytes
	flagFR   = "\U0001F1EB\U0001F1F7"                                       // 🇫🇷: 2 code points, 8 bytes
	thumbs   = "\U0001F44D\U0001F3FD"                                       // 👍🏽: skin tone modifier
	grin     = "\U0001F600"                                                 // 😀
	heart    = "\u2764\uFE0F"                                               // ❤️: VS16 sequence, 6 bytes
	keycap   = "1\uFE0F\u20E3"                                              // 1️⃣
	eAcute   = "e\u0301"                                                    // e + combining acute: 2 code points, 1 grapheme
	cjk      = "日本語"                                                        // 3 code points, 9 bytes
	longURL  = "https://example.com/a/very/long/path/that/goes/on?x=1&y=2"
	shortURL = "https://t.co"
)

func TestCounters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                             string
		in                               string
		runes, graphemes, bytes, threads int
		x                                int
	}{
		{name: "ascii", in: "hello", runes: 5, graphemes: 5, bytes: 5, threads: 5, x: 5},
		{name: "empty", in: "", runes: 0, graphemes: 0, bytes: 0, threads: 0, x: 0},
		{name: "zwj family", in: family, runes: 7, graphemes: 1, bytes: 25, threads: 25, x: 2},
		{name: "flag", in: flagFR, runes: 2, graphemes: 1, bytes: 8, threads: 8, x: 2},
		{name: "skin tone", in: thumbs, runes: 2, graphemes: 1, bytes: 8, threads: 8, x: 2},
		{name: "single emoji", in: "hi " + grin, runes: 4, graphemes: 4, bytes: 7, threads: 7, x: 5},
		{name: "vs16 heart", in: heart, runes: 2, graphemes: 1, bytes: 6, threads: 6, x: 2},
		{name: "keycap", in: keycap, runes: 3, graphemes: 1, bytes: 7, threads: 7, x: 2},
		// X normalises to NFC first, so e + U+0301 becomes é (weight 1).
		{name: "combining mark", in: eAcute, runes: 2, graphemes: 1, bytes: 3, threads: 2, x: 1},
		{name: "cjk", in: cjk, runes: 3, graphemes: 3, bytes: 9, threads: 3, x: 6},
		{name: "typographic quotes weigh 1 on X", in: "\u201Chi\u201D", runes: 4, graphemes: 4, bytes: 8, threads: 4, x: 4},
		{name: "url", in: "see " + longURL, runes: 4 + len(longURL), graphemes: 4 + len(longURL), bytes: 4 + len(longURL), threads: 4 + len(longURL), x: 4 + 23},
		{name: "short url still 23 on X", in: shortURL, runes: 12, graphemes: 12, bytes: 12, threads: 12, x: 23},
		{name: "url then full stop", in: longURL + ".", runes: len(longURL) + 1, graphemes: len(longURL) + 1, bytes: len(longURL) + 1, threads: len(longURL) + 1, x: 24},
		{name: "mixed", in: "Tokyo " + cjk + " " + family + " " + flagFR, runes: 6 + 3 + 1 + 7 + 1 + 2, graphemes: 6 + 3 + 1 + 1 + 1 + 1, bytes: 6 + 9 + 1 + 25 + 1 + 8, threads: 6 + 3 + 1 + 25 + 1 + 8, x: 6 + 6 + 1 + 2 + 1 + 2},
		{name: "x limit", in: strings.Repeat("a", 280), runes: 280, graphemes: 280, bytes: 280, threads: 280, x: 280},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := []int{CountRunes(tt.in), CountGraphemes(tt.in), CountBytes(tt.in), CountThreads(tt.in), CountX(tt.in)}
			want := []int{tt.runes, tt.graphemes, tt.bytes, tt.threads, tt.x}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[runes graphemes bytes threads x] of %q (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestCountMastodon(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		reserved int
		in       string
		want     int
	}{
		{name: "plain", in: "hello", want: 5},
		{name: "url counts 23", in: "check " + longURL + " now", want: 6 + 23 + 4},
		{name: "short url counts 23 too", in: shortURL, want: 23},
		{name: "two urls", in: longURL + " " + shortURL, want: 23 + 1 + 23},
		{name: "trailing punctuation is not the url", in: "see " + longURL + ".", want: 4 + 23 + 1},
		{name: "parenthesised url", in: "(" + longURL + ")", want: 1 + 23 + 1},
		{name: "instance setting", reserved: 30, in: "see " + longURL, want: 4 + 30},
		{name: "remote mention counts local part", in: "hi @alice@example.social!", want: 3 + 6 + 1},
		{name: "local mention", in: "hi @alice", want: 9},
		{name: "email is not a mention", in: "mail a@b.example", want: 16},
		{name: "url with @ is one url", in: "https://mastodon.social/@bob@other.example", want: 23},
		{name: "graphemes", in: family + flagFR + eAcute + cjk, want: 1 + 1 + 1 + 3},
		{name: "scheme-less domain is text", in: "example.com", want: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CountMastodon(tt.reserved)(tt.in); got != tt.want {
				t.Errorf("CountMastodon(%d)(%q) = %d, want %d", tt.reserved, tt.in, got, tt.want)
			}
		})
	}
}

func TestFindURLs(t *testing.T) {
	t.Parallel()
	s := "a " + cjk + " " + longURL + ", and (" + shortURL + ")."
	got := FindURLs(s)
	var texts []string
	for _, r := range got {
		texts = append(texts, s[r[0]:r[1]])
	}
	if diff := cmp.Diff([]string{longURL, shortURL}, texts); diff != "" {
		t.Errorf("FindURLs (-want +got):\n%s", diff)
	}
}
