package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formats Render writes.
const (
	FormatRSS  = "rss"
	FormatAtom = "atom"
	FormatJSON = "json"
)

// Content types of the formats.
const (
	ContentTypeRSS  = "application/rss+xml; charset=utf-8"
	ContentTypeAtom = "application/atom+xml; charset=utf-8"
	ContentTypeJSON = "application/feed+json; charset=utf-8"
)

// Feed describes a feed document.
type Feed struct {
	// Title names the feed; Description says what it is (Atom subtitle).
	Title       string
	Description string
	// Link is the feed's home page; SelfURL is the URL this document is
	// served at (each format has its own).
	Link    string
	SelfURL string
	// ID is a permanent, absolute IRI for the feed (Atom id). A value that
	// is not absolute is turned into a urn:herald: one.
	ID string
	// Updated is the last change; zero means the newest item's date.
	Updated time.Time
	// Author is the feed's author (Atom requires one; the Title stands in).
	Author string
}

// Item is one published post.
type Item struct {
	// ID is permanent and unique within the feed (the target key).
	ID string
	// Title defaults to TitleFromText(Text).
	Title     string
	Text      string
	URL       string
	Published time.Time
	// Enclosures are the post's media.
	Enclosures []Enclosure
}

// Enclosure is a medium of an item.
type Enclosure struct {
	URL  string
	MIME string
	Size int64
}

// maxTitle bounds derived titles, in characters.
const maxTitle = 140

// TitleFromText derives an item title: the first non-empty line of text,
// trimmed, without control characters, cut at a word boundary to 140
// characters with an ellipsis.
func TitleFromText(text string) string {
	var line string
	for _, l := range strings.Split(xmlText(text), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			line = l
			break
		}
	}
	if utf8.RuneCountInString(line) <= maxTitle {
		return line
	}
	r := []rune(line)[:maxTitle-1]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \t"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \t.,;:") + "…"
}

// Render writes the feed in format (FormatRSS, FormatAtom or FormatJSON)
// with items in the order given (newest first, by convention), and returns
// the document and its content type.
func Render(format string, f Feed, items []Item) ([]byte, string, error) {
	if f.Updated.IsZero() {
		for _, it := range items {
			if it.Published.After(f.Updated) {
				f.Updated = it.Published
			}
		}
	}
	items = slices.Clone(items) // titles are filled in below
	for i := range items {
		if items[i].Title == "" {
			items[i].Title = TitleFromText(items[i].Text)
		}
	}
	switch format {
	case FormatRSS:
		b, err := renderRSS(f, items)
		return b, ContentTypeRSS, err
	case FormatAtom:
		b, err := renderAtom(f, items)
		return b, ContentTypeAtom, err
	case FormatJSON:
		b, err := renderJSON(f, items)
		return b, ContentTypeJSON, err
	}
	return nil, "", fmt.Errorf("feed: unknown format %q (want %s, %s or %s)", format, FormatRSS, FormatAtom, FormatJSON)
}

// xmlText removes what XML 1.0 cannot carry: control characters other than
// tab, newline and carriage return, surrogates, U+FFFE/U+FFFF, and invalid
// UTF-8. encoding/xml would replace them with U+FFFD; readers are better
// served by their absence.
func xmlText(s string) string {
	clean := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	}
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || !clean(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && size == 1) && clean(r) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// htmlFromText turns plain text into the escaped HTML RSS descriptions hold,
// keeping line breaks.
func htmlFromText(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>\n")
}

// iri makes id an absolute IRI for Atom.
func iri(id string) string {
	if u, err := url.Parse(id); err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "") {
		return id
	}
	return "urn:herald:" + url.PathEscape(id)
}

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string       `xml:"title"`
	Link          string       `xml:"link"`
	Description   string       `xml:"description"`
	Self          *rssAtomLink `xml:"atom:link,omitempty"`
	LastBuildDate string       `xml:"lastBuildDate,omitempty"`
	Generator     string       `xml:"generator"`
	Items         []rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string        `xml:"title,omitempty"`
	Link        string        `xml:"link,omitempty"`
	Description string        `xml:"description"`
	GUID        rssGUID       `xml:"guid"`
	PubDate     string        `xml:"pubDate,omitempty"`
	Enclosure   *rssEnclosure `xml:"enclosure,omitempty"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssEnclosure struct {
	URL    string `xml:"url,attr"`
	Length string `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

func renderRSS(f Feed, items []Item) ([]byte, error) {
	ch := rssChannel{
		Title:       xmlText(f.Title),
		Link:        xmlText(f.Link),
		Description: xmlText(f.Description),
		Generator:   "Herald",
	}
	if ch.Description == "" {
		ch.Description = ch.Title // required by RSS 2.0
	}
	if f.SelfURL != "" {
		ch.Self = &rssAtomLink{Href: xmlText(f.SelfURL), Rel: "self", Type: "application/rss+xml"}
	}
	if !f.Updated.IsZero() {
		ch.LastBuildDate = f.Updated.UTC().Format(time.RFC1123Z)
	}
	for _, it := range items {
		ri := rssItem{
			Title:       xmlText(it.Title),
			Link:        xmlText(it.URL),
			Description: xmlText(htmlFromText(it.Text)),
			GUID:        rssGUID{IsPermaLink: "false", Value: xmlText(it.ID)},
		}
		if !it.Published.IsZero() {
			ri.PubDate = it.Published.UTC().Format(time.RFC1123Z)
		}
		// RSS readers disagree on several enclosures per item; the RSS
		// Advisory Board recommends one, so RSS carries the first and Atom
		// and JSON Feed carry all.
		if len(it.Enclosures) > 0 {
			e := it.Enclosures[0]
			ri.Enclosure = &rssEnclosure{URL: xmlText(e.URL), Length: strconv.FormatInt(max(e.Size, 0), 10), Type: xmlText(e.MIME)}
		}
		ch.Items = append(ch.Items, ri)
	}
	return marshalXML(rssDoc{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom", Channel: ch})
}

type atomDoc struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href   string `xml:"href,attr"`
	Rel    string `xml:"rel,attr,omitempty"`
	Type   string `xml:"type,attr,omitempty"`
	Length string `xml:"length,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
}

func renderAtom(f Feed, items []Item) ([]byte, error) {
	doc := atomDoc{
		ID:        xmlText(iri(f.ID)),
		Title:     xmlText(f.Title),
		Subtitle:  xmlText(f.Description),
		Updated:   f.Updated.UTC().Format(time.RFC3339),
		Author:    atomPerson{Name: xmlText(f.Author)},
		Generator: "Herald",
	}
	if doc.Author.Name == "" {
		doc.Author.Name = doc.Title // entries inherit the feed's author
	}
	if f.Link != "" {
		doc.Links = append(doc.Links, atomLink{Href: xmlText(f.Link), Rel: "alternate", Type: "text/html"})
	}
	if f.SelfURL != "" {
		doc.Links = append(doc.Links, atomLink{Href: xmlText(f.SelfURL), Rel: "self", Type: "application/atom+xml"})
	}
	for _, it := range items {
		title := xmlText(it.Title)
		if title == "" {
			title = "Untitled" // atom:title is required
		}
		updated := it.Published
		if updated.IsZero() {
			updated = f.Updated // atom:updated is required
		}
		e := atomEntry{
			ID:      xmlText(iri(it.ID)),
			Title:   title,
			Updated: updated.UTC().Format(time.RFC3339),
			Content: atomText{Type: "text", Value: xmlText(it.Text)},
		}
		if !it.Published.IsZero() {
			e.Published = e.Updated
		}
		if it.URL != "" {
			e.Links = append(e.Links, atomLink{Href: xmlText(it.URL), Rel: "alternate", Type: "text/html"})
		}
		for _, enc := range it.Enclosures {
			l := atomLink{Href: xmlText(enc.URL), Rel: "enclosure", Type: xmlText(enc.MIME)}
			if enc.Size > 0 {
				l.Length = strconv.FormatInt(enc.Size, 10)
			}
			e.Links = append(e.Links, l)
		}
		doc.Entries = append(doc.Entries, e)
	}
	return marshalXML(doc)
}

func marshalXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

type jsonFeed struct {
	Version     string       `json:"version"`
	Title       string       `json:"title"`
	HomePageURL string       `json:"home_page_url,omitempty"`
	FeedURL     string       `json:"feed_url,omitempty"`
	Description string       `json:"description,omitempty"`
	Authors     []jsonAuthor `json:"authors,omitempty"`
	Items       []jsonItem   `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
}

type jsonItem struct {
	ID            string           `json:"id"`
	URL           string           `json:"url,omitempty"`
	Title         string           `json:"title,omitempty"`
	ContentText   string           `json:"content_text"`
	DatePublished string           `json:"date_published,omitempty"`
	Attachments   []jsonAttachment `json:"attachments,omitempty"`
}

type jsonAttachment struct {
	URL         string `json:"url"`
	MIMEType    string `json:"mime_type"`
	SizeInBytes int64  `json:"size_in_bytes,omitempty"`
}

func renderJSON(f Feed, items []Item) ([]byte, error) {
	doc := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       f.Title,
		HomePageURL: f.Link,
		FeedURL:     f.SelfURL,
		Description: f.Description,
		Items:       []jsonItem{},
	}
	if f.Author != "" {
		doc.Authors = []jsonAuthor{{Name: f.Author}}
	}
	for _, it := range items {
		ji := jsonItem{ID: it.ID, URL: it.URL, Title: it.Title, ContentText: it.Text}
		if !it.Published.IsZero() {
			ji.DatePublished = it.Published.UTC().Format(time.RFC3339)
		}
		for _, e := range it.Enclosures {
			ji.Attachments = append(ji.Attachments, jsonAttachment{URL: e.URL, MIMEType: e.MIME, SizeInBytes: e.Size})
		}
		doc.Items = append(doc.Items, ji)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	return buf.Bytes(), nil
}
