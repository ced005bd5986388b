package mastodonfake

import (
	"html"
	"regexp"
	"strings"

	"github.com/heraldhq/herald/internal/provider"
)

var (
	mentionRE = regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}_=/@])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)((?:@[\p{L}\p{N}_.\-]+[\p{L}\p{N}_]+)?)`)
	hashtagRE = regexp.MustCompile(`(^|[^\p{L}\p{N}_/&#])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)`)
	paraRE    = regexp.MustCompile(`\n{2,}`)
)

// renderContent renders a status's text to HTML the way Mastodon's
// TextFormatter does: escaped text, paragraphs and line breaks, links with
// the scheme in an invisible span, mentions showing only the local part of
// @user@domain, and hashtags.
func renderContent(text, base string) string {
	var paras []string
	for _, p := range paraRE.Split(strings.TrimSpace(text), -1) {
		paras = append(paras, "<p>"+strings.ReplaceAll(linkify(p, base), "\n", "<br />")+"</p>")
	}
	return strings.Join(paras, "")
}

func linkify(s, base string) string {
	var b strings.Builder
	last := 0
	for _, u := range provider.FindURLs(s) {
		b.WriteString(entities(s[last:u[0]], base))
		b.WriteString(linkHTML(s[u[0]:u[1]]))
		last = u[1]
	}
	b.WriteString(entities(s[last:], base))
	return b.String()
}

func linkHTML(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	visible, hidden, class := rest, "", ""
	if len(rest) > 30 {
		visible, hidden, class = rest[:30], rest[30:], "ellipsis"
	}
	return `<a href="` + html.EscapeString(u) + `" target="_blank" rel="nofollow noopener noreferrer" translate="no">` +
		`<span class="invisible">` + scheme + `://</span><span class="` + class + `">` + html.EscapeString(visible) +
		`</span><span class="invisible">` + html.EscapeString(hidden) + `</span></a>`
}

// entities escapes plain text and links its mentions and hashtags.
func entities(s, base string) string {
	s = html.EscapeString(s)
	s = mentionRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		href := base + "/@" + sub[2] + sub[3]
		return sub[1] + `<span class="h-card" translate="no"><a href="` + href + `" class="u-url mention">@<span>` + sub[2] + `</span></a></span>`
	})
	s = hashtagRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := hashtagRE.FindStringSubmatch(m)
		return sub[1] + `<a href="` + base + `/tags/` + strings.ToLower(sub[2]) + `" class="mention hashtag" rel="tag">#<span>` + sub[2] + `</span></a>`
	})
	return s
}
