package feed

import (
	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Feed: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Feed",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "name", Required: true, Doc: "the feed's title."},
		}},
		Rules: provider.Rules{
			Network: Name,
			// Feeds have no text or media limits of their own; items are
			// rendered from Herald's stored posts.
			Count:              provider.CountRunes,
			MixImagesAndVideos: true,
		},
		CanFind: true,
	}
}

// Network is Feed's entry in the list of networks the composition
// root wires.
func Network() provider.Network {
	return provider.Network{
		New: func(env provider.Env) (provider.Provider, error) {
			return New(Config{ItemURL: func(key string) string { return env.PublicURL + "/feeds/items/" + key }, Now: env.Now}), nil
		},
	}
}
