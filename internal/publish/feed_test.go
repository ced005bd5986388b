package publish_test

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestFeedProfilePublishesIntoDocuments(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		f := e.connect(map[string]any{"provider": "feed", "name": "Release notes"})
		first := e.schedule("Version 1.0 <is> out & ready 🎉", 1500*time.Millisecond, f)
		second := e.schedule("Version 1.1\nwith fixes", 1800*time.Millisecond, f)
		e.settle(first.ID)
		got := e.settle(second.ID)
		if got.Targets[0].State != herald.TargetPublished || !strings.HasSuffix(got.Targets[0].RemoteURL, "/feeds/items/"+got.Targets[0].ID) {
			t.Fatalf("target = %+v", got.Targets[0])
		}

		b, ct, err := e.app.FeedDocument(e.ctx, f.ID, "rss")
		must(t, err)
		var rss struct {
			Channel struct {
				Title string `xml:"title"`
				Items []struct {
					Title string `xml:"title"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		must(t, xml.Unmarshal(b, &rss))
		if !strings.HasPrefix(ct, "application/rss+xml") || rss.Channel.Title != "Release notes" || len(rss.Channel.Items) != 2 {
			t.Fatalf("rss (%s): %s", ct, b)
		}
		if rss.Channel.Items[0].Title != "Version 1.1" {
			t.Errorf("newest item title = %q, want the newest post's first line", rss.Channel.Items[0].Title)
		}

		b, _, err = e.app.FeedDocument(e.ctx, f.ID, "atom")
		must(t, err)
		var atom struct {
			Entries []struct {
				Content string `xml:"content"`
			} `xml:"entry"`
		}
		must(t, xml.Unmarshal(b, &atom))
		if len(atom.Entries) != 2 || !strings.Contains(atom.Entries[1].Content, "out &amp; ready") && !strings.Contains(atom.Entries[1].Content, "out & ready") {
			t.Errorf("atom: %s", b)
		}

		b, _, err = e.app.FeedDocument(e.ctx, f.ID, "json")
		must(t, err)
		var jf struct {
			Version string `json:"version"`
			Items   []struct {
				ID   string `json:"id"`
				Text string `json:"content_text"`
			} `json:"items"`
		}
		must(t, json.Unmarshal(b, &jf))
		if !strings.Contains(jf.Version, "jsonfeed.org/version/1.1") || len(jf.Items) != 2 || jf.Items[1].Text != "Version 1.0 <is> out & ready 🎉" {
			t.Errorf("json feed: %s", b)
		}

		// Another profile's id, or a non-feed profile, is no feed.
		m := e.discordProfile()
		if _, _, err := e.app.FeedDocument(e.ctx, m.ID, "rss"); herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Errorf("a discord profile's feed = %v", err)
		}
		item, tg, err := e.app.FeedItem(e.ctx, got.Targets[0].ID)
		must(t, err)
		if item.ID != second.ID || tg.ID != got.Targets[0].ID {
			t.Errorf("feed item = %s / %s", item.ID, tg.ID)
		}
	})
}
