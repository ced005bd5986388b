package feed

import "github.com/heraldhq/herald/internal/provider"

var _ provider.FeedRenderer = (*Provider)(nil)

// RenderFeed implements provider.FeedRenderer.
func (p *Provider) RenderFeed(format, title, selfURL, homeURL string, items []provider.FeedItem) ([]byte, string, error) {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{ID: it.ID, Text: it.Text, URL: it.URL, Published: it.Published}
		for _, m := range it.Media {
			out[i].Enclosures = append(out[i].Enclosures, Enclosure{URL: m.URL, MIME: m.MIME, Size: m.Size})
		}
	}
	return Render(format, Feed{Title: title, Link: homeURL, SelfURL: selfURL, ID: selfURL, Author: title}, out)
}
