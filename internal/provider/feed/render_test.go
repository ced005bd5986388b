package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nasty text: markup, entities, quotes, emoji, control characters that XML
// cannot carry, invalid UTF-8 and a CDATA terminator.
const nasty = "Launch <b>now</b> & \"save\" 'big' 🎉👩‍💻\x01\x0b\uFFFE\xff\nsecond line ]]> end"

// cleanNasty is nasty as XML can carry it.
const cleanNasty = "Launch <b>now</b> & \"save\" 'big' 🎉👩‍💻\nsecond line ]]> end"

var (
	t1 = time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)
	t2 = time.Date(2025, 3, 31, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))
)

func sample() (Feed, []Item) {
	f := Feed{
		Title:       "Herald & Co <news>",
		Description: "Posts from Herald",
		Link:        "https://herald.example/",
		SelfURL:     "https://herald.example/feeds/abc.xml",
		ID:          "https://herald.example/feeds/abc",
		Author:      "Herald Team",
	}
	items := []Item{
		{ID: "tgt_2", Text: nasty, URL: "https://herald.example/i/tgt_2", Published: t2, Enclosures: []Enclosure{
			{URL: "https://herald.example/m/a.jpg?x=1&y=2", MIME: "image/jpeg", Size: 12345},
			{URL: "https://herald.example/m/b.mp4", MIME: "video/mp4", Size: 999},
		}},
		{ID: "tgt_1", Title: "Explicit title", Text: "Plain post", URL: "https://herald.example/i/tgt_1", Published: t1},
	}
	return f, items
}

func TestRenderRSS(t *testing.T) {
	t.Parallel()
	f, items := sample()
	b, ct, err := Render(FormatRSS, f, items)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
	var doc struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Channel struct {
			Title         string `xml:"title"`
			Description   string `xml:"description"`
			LastBuildDate string `xml:"lastBuildDate"`
			// encoding/xml matches <link> and <atom:link> to one field, so
			// both are read here and told apart by namespace.
			Links []struct {
				XMLName xml.Name
				Href    string `xml:"href,attr"`
				Rel     string `xml:"rel,attr"`
				Type    string `xml:"type,attr"`
				Value   string `xml:",chardata"`
			} `xml:"link"`
			Items []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				Description string `xml:"description"`
				GUID        struct {
					IsPermaLink string `xml:"isPermaLink,attr"`
					Value       string `xml:",chardata"`
				} `xml:"guid"`
				PubDate    string `xml:"pubDate"`
				Enclosures []struct {
					URL    string `xml:"url,attr"`
					Length string `xml:"length,attr"`
					Type   string `xml:"type,attr"`
				} `xml:"enclosure"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("RSS does not parse: %v\n%s", err, b)
	}
	ch := doc.Channel
	if doc.Version != "2.0" || ch.Title != "Herald & Co <news>" || ch.Description != f.Description {
		t.Errorf("channel = %+v", ch)
	}
	if len(ch.Links) != 2 {
		t.Fatalf("channel links = %+v", ch.Links)
	}
	if l := ch.Links[0]; l.XMLName.Space != "" || l.Value != f.Link {
		t.Errorf("link = %+v", l)
	}
	if l := ch.Links[1]; l.XMLName.Space != "http://www.w3.org/2005/Atom" || l.Href != f.SelfURL || l.Rel != "self" || l.Type != "application/rss+xml" {
		t.Errorf("atom:link = %+v", l)
	}
	if lb, err := time.Parse(time.RFC1123Z, ch.LastBuildDate); err != nil || !lb.Equal(t2) {
		t.Errorf("lastBuildDate %q (%v), want the newest item's date", ch.LastBuildDate, err)
	}
	if len(ch.Items) != 2 {
		t.Fatalf("%d items", len(ch.Items))
	}
	first := ch.Items[0]
	if first.Title != "Launch <b>now</b> & \"save\" 'big' 🎉👩‍💻" {
		t.Errorf("title %q", first.Title)
	}
	// The description is HTML: the text's markup is escaped, lines break.
	wantDesc := "Launch &lt;b&gt;now&lt;/b&gt; &amp; &#34;save&#34; &#39;big&#39; 🎉👩‍💻<br>\nsecond line ]]&gt; end"
	if first.Description != wantDesc {
		t.Errorf("description\n got %q\nwant %q", first.Description, wantDesc)
	}
	if first.GUID.Value != "tgt_2" || first.GUID.IsPermaLink != "false" || first.Link != items[0].URL {
		t.Errorf("guid/link = %+v %q", first.GUID, first.Link)
	}
	if pd, err := time.Parse(time.RFC1123Z, first.PubDate); err != nil || !pd.Equal(t2) || !strings.HasSuffix(first.PubDate, "+0000") {
		t.Errorf("pubDate %q (%v)", first.PubDate, err)
	}
	if len(first.Enclosures) != 1 || first.Enclosures[0].URL != "https://herald.example/m/a.jpg?x=1&y=2" ||
		first.Enclosures[0].Length != "12345" || first.Enclosures[0].Type != "image/jpeg" {
		t.Errorf("enclosures = %+v", first.Enclosures)
	}
	if ch.Items[1].Title != "Explicit title" || len(ch.Items[1].Enclosures) != 0 {
		t.Errorf("second item = %+v", ch.Items[1])
	}
	if bytes.ContainsAny(b, "\x01\x0b") || bytes.IndexByte(b, 0xff) >= 0 {
		t.Error("control characters reached the XML")
	}
}

func TestRenderAtom(t *testing.T) {
	t.Parallel()
	f, items := sample()
	b, ct, err := Render(FormatAtom, f, items)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	type link struct {
		Href   string `xml:"href,attr"`
		Rel    string `xml:"rel,attr"`
		Type   string `xml:"type,attr"`
		Length string `xml:"length,attr"`
	}
	var doc struct {
		XMLName  xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID       string   `xml:"id"`
		Title    string   `xml:"title"`
		Subtitle string   `xml:"subtitle"`
		Updated  string   `xml:"updated"`
		Links    []link   `xml:"link"`
		Author   struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Updated   string `xml:"updated"`
			Published string `xml:"published"`
			Links     []link `xml:"link"`
			Content   struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("Atom does not parse: %v\n%s", err, b)
	}
	if doc.ID != f.ID || doc.Title != f.Title || doc.Subtitle != f.Description || doc.Author.Name != "Herald Team" {
		t.Errorf("feed = %+v", doc)
	}
	if u, err := time.Parse(time.RFC3339, doc.Updated); err != nil || !u.Equal(t2) {
		t.Errorf("updated %q", doc.Updated)
	}
	wantLinks := []link{{Href: f.Link, Rel: "alternate", Type: "text/html"}, {Href: f.SelfURL, Rel: "self", Type: "application/atom+xml"}}
	if diff := cmp.Diff(wantLinks, doc.Links); diff != "" {
		t.Errorf("feed links (-want +got):\n%s", diff)
	}
	if len(doc.Entries) != 2 {
		t.Fatalf("%d entries", len(doc.Entries))
	}
	e := doc.Entries[0]
	if e.ID != "urn:herald:tgt_2" || e.Content.Type != "text" || e.Content.Value != cleanNasty {
		t.Errorf("entry = %+v", e)
	}
	if e.Updated != "2025-03-31T07:00:00Z" || e.Published != e.Updated {
		t.Errorf("entry dates %q %q", e.Updated, e.Published)
	}
	wantEntryLinks := []link{
		{Href: items[0].URL, Rel: "alternate", Type: "text/html"},
		{Href: "https://herald.example/m/a.jpg?x=1&y=2", Rel: "enclosure", Type: "image/jpeg", Length: "12345"},
		{Href: "https://herald.example/m/b.mp4", Rel: "enclosure", Type: "video/mp4", Length: "999"},
	}
	if diff := cmp.Diff(wantEntryLinks, e.Links); diff != "" {
		t.Errorf("entry links (-want +got):\n%s", diff)
	}
}

func TestRenderJSONFeed(t *testing.T) {
	t.Parallel()
	f, items := sample()
	b, ct, err := Render(FormatJSON, f, items)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/feed+json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	type attachment struct {
		URL         string `json:"url"`
		MIMEType    string `json:"mime_type"`
		SizeInBytes int64  `json:"size_in_bytes"`
	}
	type item struct {
		ID            string       `json:"id"`
		URL           string       `json:"url"`
		Title         string       `json:"title"`
		ContentText   string       `json:"content_text"`
		DatePublished string       `json:"date_published"`
		Attachments   []attachment `json:"attachments"`
	}
	var doc struct {
		Version     string `json:"version"`
		Title       string `json:"title"`
		HomePageURL string `json:"home_page_url"`
		FeedURL     string `json:"feed_url"`
		Description string `json:"description"`
		Authors     []struct {
			Name string `json:"name"`
		} `json:"authors"`
		Items []item `json:"items"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JSON Feed does not parse: %v\n%s", err, b)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" || doc.Title != f.Title || doc.HomePageURL != f.Link ||
		doc.FeedURL != f.SelfURL || len(doc.Authors) != 1 || doc.Authors[0].Name != "Herald Team" {
		t.Errorf("feed = %+v", doc)
	}
	want := []item{
		{ID: "tgt_2", URL: items[0].URL, Title: "Launch <b>now</b> & \"save\" 'big' 🎉👩‍💻",
			// JSON carries control characters; invalid UTF-8 becomes U+FFFD.
			ContentText:   strings.ToValidUTF8(nasty, "\uFFFD"),
			DatePublished: "2025-03-31T07:00:00Z",
			Attachments: []attachment{
				{URL: "https://herald.example/m/a.jpg?x=1&y=2", MIMEType: "image/jpeg", SizeInBytes: 12345},
				{URL: "https://herald.example/m/b.mp4", MIMEType: "video/mp4", SizeInBytes: 999},
			}},
		{ID: "tgt_1", URL: items[1].URL, Title: "Explicit title", ContentText: "Plain post", DatePublished: "2025-03-30T01:30:00Z"},
	}
	if diff := cmp.Diff(want, doc.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"content_text"`) {
		t.Error("content_text missing")
	}
}

func TestRenderEmptyFeedAndDefaults(t *testing.T) {
	t.Parallel()
	f := Feed{Title: "Empty", ID: "feed-123", Updated: t1}
	for _, format := range []string{FormatRSS, FormatAtom, FormatJSON} {
		b, _, err := Render(format, f, nil)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		switch format {
		case FormatJSON:
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("json: %v", err)
			}
			if items, ok := v["items"].([]any); !ok || len(items) != 0 {
				t.Errorf("json items = %v, want []", v["items"])
			}
		default:
			var v struct {
				ID     string `xml:"id"`
				Author struct {
					Name string `xml:"name"`
				} `xml:"author"`
				Channel struct {
					Description string `xml:"description"`
				} `xml:"channel"`
			}
			if err := xml.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", format, err)
			}
			if format == FormatAtom && (v.ID != "urn:herald:feed-123" || v.Author.Name != "Empty") {
				t.Errorf("atom defaults: %+v", v)
			}
			if format == FormatRSS && v.Channel.Description != "Empty" {
				t.Errorf("rss description default: %q", v.Channel.Description)
			}
		}
	}
	if _, _, err := Render("yaml", f, nil); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestRenderDoesNotChangeItems(t *testing.T) {
	t.Parallel()
	f, items := sample()
	before := append([]Item(nil), items...)
	if _, _, err := Render(FormatAtom, f, items); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, items); diff != "" {
		t.Errorf("Render changed its input (-before +after):\n%s", diff)
	}
}
