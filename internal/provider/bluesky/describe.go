package bluesky

import (
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Bluesky: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Bluesky",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "handle", Required: true, Doc: "the handle, such as alice.bsky.social."},
			{Name: "appPassword", Required: true, Doc: "an app password (Settings → App passwords)."},
			{Name: "service", Doc: "the PDS URL (default https://bsky.social)."},
		}},
		Options: map[string]provider.OptionRule{
			"language": {Check: provider.Languages(3), Doc: "up to three languages of the post"},
		},
		Rules: provider.Rules{
			Network: Name,
			// 300 graphemes and 3,000 bytes.
			MaxChars: 300,
			Count:    provider.CountGraphemes,
			MaxBytes: 3000,
			// One embed: up to 4 images OR 1 video.
			MaxImages:          4,
			MaxVideos:          1,
			MixImagesAndVideos: false,
			ImageTypes:         []string{provider.MIMEJPEG, provider.MIMEPNG, provider.MIMEWebP, provider.MIMEGIF},
			VideoTypes:         []string{provider.MIMEMP4},
			ImageMaxBytes:      1000000,
			GIFMaxBytes:        1000000,
			ImageMaxWidth:      2000,
			ImageMaxHeight:     2000,
			// The lexicon allows 50 MB; the app raised uploads to 100 MB and
			// 3 minutes (3p). The lexicon is the stricter.
			VideoMaxBytes:    50 * provider.MB,
			VideoMaxDuration: 3 * time.Minute,
			// 1,000 graphemes; counting runes is never more lenient.
			AltTextMax: 1000,
		},
		CountingNote: " (characters as people see them: an emoji is one)",
		Settings:     settings(&Config{}),
		CanFind:      true,
	}
}

// settings are the network's own settings, known before it is built.
func settings(c *Config) []provider.Setting {
	return []provider.Setting{
		{Flag: "bluesky-plc-url", Env: "HERALD_BLUESKY_PLC_URL", Default: DefaultPLC, Help: "the PLC directory that resolves Bluesky DIDs", Value: &c.PLCURL},
		{Flag: "bluesky-app-url", Env: "HERALD_BLUESKY_APP_URL", Default: DefaultAppURL, Help: "where links to published Bluesky posts point", Value: &c.AppURL},
	}
}

// Network is Bluesky's entry in the list of networks the composition
// root wires.
func Network() provider.Network {
	c := &Config{}
	return provider.Network{
		Settings: settings(c),
		New: func(env provider.Env) (provider.Provider, error) {
			c.Now = env.Now
			return New(*c, env.Client), nil
		},
	}
}
