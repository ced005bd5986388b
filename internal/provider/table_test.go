package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/bluesky"
	"github.com/heraldhq/herald/internal/provider/discord"
	"github.com/heraldhq/herald/internal/provider/feed"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/slack"
	"github.com/heraldhq/herald/internal/provider/telegram"
)

// networksMD lists the networks of shared/networks.md plus the ones that need
// no developer app; the rule table and the packages of the networks (their
// descriptors) together must have exactly these rows.
var networksMD = []string{
	"twitter", "facebook", "instagram", "linkedin", "tiktok", "pinterest", "youtube",
	"threads", "bluesky", "mastodon", "googlebusiness", "discord", "slack",
	"telegram", "feed",
}

// registry holds the six networks with a package, as cli wires them; their
// rows come from their descriptors, the others' from the shared table.
func registry() *provider.Registry {
	env := provider.Env{Now: time.Now}
	reg := provider.NewRegistry()
	for _, n := range []provider.Network{mastodon.Network(), bluesky.Network(), discord.Network(), slack.Network(), telegram.Network(), feed.Network()} {
		p, err := n.New(env)
		if err != nil {
			panic(err)
		}
		reg.Register(p)
	}
	return reg
}

// DefaultRules is the row of a network, wherever it lives.
func DefaultRules(name string) (provider.Rules, bool) { return registry().DefaultRules(name) }

func TestTableHasOneRowPerNetwork(t *testing.T) {
	t.Parallel()
	if provider.TableVersion == "" {
		t.Fatal("provider.TableVersion is empty")
	}
	got := append(provider.TableNetworks(), registry().Names()...)
	if diff := cmp.Diff(networksMD, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("table networks (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("network %q has two rows", n)
		}
		seen[n] = true
	}
}

func TestTableRowInvariants(t *testing.T) {
	t.Parallel()
	for _, name := range networksMD {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, ok := DefaultRules(name)
			if !ok {
				t.Fatalf("DefaultRules(%q) not found", name)
			}
			if r.Network != name {
				t.Errorf("Network = %q, want %q", r.Network, name)
			}
			if r.Count == nil {
				t.Error("Count is nil: every row says how its network counts")
			}
			if r.MaxChars < 0 || r.MaxBytes < 0 || r.MaxImages < 0 || r.MaxVideos < 0 {
				t.Errorf("negative limit in %+v", r)
			}
			if (r.PostsPerWindow > 0) != (r.Window > 0) {
				t.Errorf("PostsPerWindow %d and Window %v must be set together", r.PostsPerWindow, r.Window)
			}
			if r.MinAspect > 0 && r.MaxAspect > 0 && r.MinAspect > r.MaxAspect {
				t.Errorf("MinAspect %v > MaxAspect %v", r.MinAspect, r.MaxAspect)
			}
			if r.VideoMinDuration > 0 && r.VideoMaxDuration > 0 && r.VideoMinDuration > r.VideoMaxDuration {
				t.Errorf("VideoMinDuration %v > VideoMaxDuration %v", r.VideoMinDuration, r.VideoMaxDuration)
			}
			for _, m := range r.ImageTypes {
				if !strings.HasPrefix(m, "image/") {
					t.Errorf("ImageTypes has %q", m)
				}
			}
			for _, m := range r.VideoTypes {
				if !strings.HasPrefix(m, "video/") {
					t.Errorf("VideoTypes has %q", m)
				}
			}
			if r.GIFMaxBytes > 0 && r.ImageMaxBytes > 0 && r.GIFMaxBytes < r.ImageMaxBytes {
				t.Errorf("GIFMaxBytes %d below ImageMaxBytes %d", r.GIFMaxBytes, r.ImageMaxBytes)
			}
			if r.MediaRequired && r.MaxImages == 0 && r.MaxVideos == 0 {
				t.Error("MediaRequired but no media limits")
			}
			// A text counter must count something for ordinary text.
			if n := r.Count("hello"); n <= 0 {
				t.Errorf("Count(hello) = %d", n)
			}
		})
	}
}

// TestTableFigures pins the figures that adapters and their fakes rely on, so
// a change to the table is a deliberate one (bump provider.TableVersion).
func TestTableFigures(t *testing.T) {
	t.Parallel()
	type figures struct {
		MaxChars, MaxBytes, MaxImages, MaxVideos int
		Mix                                      bool
		ImageMaxBytes, VideoMaxBytes             int64
		PostsPerWindow                           int
		Window                                   time.Duration
	}
	tests := []struct {
		network string
		want    figures
	}{
		{"twitter", figures{MaxChars: 280, MaxImages: 4, MaxVideos: 1, ImageMaxBytes: 5_000_000, VideoMaxBytes: 8_000_000_000, PostsPerWindow: 300, Window: 3 * time.Hour}},
		{"bluesky", figures{MaxChars: 300, MaxBytes: 3000, MaxImages: 4, MaxVideos: 1, ImageMaxBytes: 1_000_000, VideoMaxBytes: 50_000_000}},
		{"mastodon", figures{MaxChars: 500, MaxImages: 4, MaxVideos: 1, ImageMaxBytes: 16_000_000, VideoMaxBytes: 99 << 20}},
		{"threads", figures{MaxChars: 500, MaxImages: 20, MaxVideos: 20, Mix: true, PostsPerWindow: 250, Window: 24 * time.Hour}},
		{"discord", figures{MaxChars: 2000, MaxImages: 10, MaxVideos: 10, Mix: true, ImageMaxBytes: 10 << 20, VideoMaxBytes: 10 << 20, PostsPerWindow: 30, Window: time.Minute}},
		{"slack", figures{MaxChars: 40000, MaxImages: 10, Mix: true, PostsPerWindow: 1, Window: time.Second}},
		{"telegram", figures{MaxChars: 4096, MaxImages: 10, MaxVideos: 10, Mix: true, ImageMaxBytes: 10_000_000, VideoMaxBytes: 50_000_000, PostsPerWindow: 20, Window: time.Minute}},
		{"googlebusiness", figures{MaxChars: 1500, MaxImages: 1}},
		{"feed", figures{Mix: true}},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			t.Parallel()
			r, ok := DefaultRules(tt.network)
			if !ok {
				t.Fatalf("no row for %q", tt.network)
			}
			got := figures{r.MaxChars, r.MaxBytes, r.MaxImages, r.MaxVideos, r.MixImagesAndVideos,
				r.ImageMaxBytes, r.VideoMaxBytes, r.PostsPerWindow, r.Window}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("figures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableCounters(t *testing.T) {
	t.Parallel()
	// A family emoji is one grapheme, several runes and many bytes: each
	// network's counter must see it its own way.
	const family = "👨‍👩‍👧"
	bsky, _ := DefaultRules("bluesky")
	if got := bsky.Count(family); got != 1 {
		t.Errorf("bluesky counts %q as %d, want 1 grapheme", family, got)
	}
	threads, _ := DefaultRules("threads")
	if got := threads.Count(family); got != len(family) {
		t.Errorf("threads counts %q as %d, want %d bytes", family, got, len(family))
	}
	mastodon, _ := DefaultRules("mastodon")
	url := "https://example.com/" + strings.Repeat("a", 100)
	if got := mastodon.Count(url); got != 23 {
		t.Errorf("mastodon counts a long URL as %d, want 23", got)
	}
}

func TestDefaultRulesUnknown(t *testing.T) {
	t.Parallel()
	if r, ok := DefaultRules("myspace"); ok {
		t.Errorf("DefaultRules(myspace) = %+v, true; want false", r)
	}
}

func TestDefaultRulesReturnsACopy(t *testing.T) {
	t.Parallel()
	for _, name := range networksMD {
		before, _ := DefaultRules(name)
		r, _ := DefaultRules(name)
		r.MaxChars = -1
		r.Network = "changed"
		if len(r.ImageTypes) > 0 {
			r.ImageTypes[0] = "image/changed"
		}
		r.ImageTypes = append(r.ImageTypes, "image/appended")
		if len(r.VideoTypes) > 0 {
			r.VideoTypes[0] = "video/changed"
		}
		after, _ := DefaultRules(name)
		opts := cmpopts.IgnoreFields(provider.Rules{}, "Count")
		if diff := cmp.Diff(before, after, opts); diff != "" {
			t.Errorf("%s: changing a copy changed the table (-before +after):\n%s", name, diff)
		}
	}
}

// TestTableUsesNetworkIDs keeps the rule table on the table of network ids:
// a row named by an alias ("x") is never found, since profiles store the id
// ("twitter").
func TestTableUsesNetworkIDs(t *testing.T) {
	t.Parallel()
	for _, name := range provider.TableNetworks() {
		if !herald.IsNetworkID(name) {
			t.Errorf("rule table row %q is not an id of herald.Networks", name)
		}
	}
	for _, d := range registry().Descriptors() {
		if !herald.IsNetworkID(d.ID) || d.Rules.Network != d.ID {
			t.Errorf("network package %q (row %q) is not an id of herald.Networks", d.ID, d.Rules.Network)
		}
	}
	for _, n := range herald.Networks() {
		if _, ok := DefaultRules(n.ID); !ok {
			t.Errorf("network %s has no rule table row", n.ID)
		}
	}
	// X's defaults are found under its id, with X's own counter: a link
	// weighs 23 and an emoji 2.
	x, ok := DefaultRules(herald.NormalizeProvider("x"))
	if !ok {
		t.Fatal("DefaultRules(NormalizeProvider(x)) not found")
	}
	if x.MaxChars != 280 {
		t.Errorf("X MaxChars = %d, want 280", x.MaxChars)
	}
	if got := x.Count("https://example.com/" + strings.Repeat("a", 100) + " 😀"); got != 23+1+2 {
		t.Errorf("X counts a link, a space and an emoji as %d, want 26", got)
	}
}

// TestDescriptorsOfTheNetworks checks what each network package says of
// itself against what it does: its id is its name and a network id, its row
// and counter are its own, its options have rules, its settings are named
// the way config names them, and CanFind matches what Find answers for a
// post it never saw.
func TestDescriptorsOfTheNetworks(t *testing.T) {
	t.Parallel()
	reg := registry()
	for _, d := range reg.Descriptors() {
		t.Run(d.ID, func(t *testing.T) {
			t.Parallel()
			p, _ := reg.Get(d.ID)
			if p.Name() != d.ID || !herald.IsNetworkID(d.ID) {
				t.Errorf("Name %q, ID %q: want one id of herald.Networks", p.Name(), d.ID)
			}
			if d.Name != herald.NetworkName(d.ID) {
				t.Errorf("Name = %q, the table of network ids says %q", d.Name, herald.NetworkName(d.ID))
			}
			if d.Rules.Network != d.ID || d.Rules.Count == nil {
				t.Errorf("Rules.Network %q, Count nil %v: want its own row with a counter", d.Rules.Network, d.Rules.Count == nil)
			}
			if d.Connect.Credentials == nil && d.Connect.OAuth == nil {
				t.Error("the network says neither how it connects with credentials nor through OAuth")
			}
			for name, rule := range d.Options {
				if rule.Values == nil && rule.Check == nil {
					t.Errorf("option %q has no rule", name)
				}
			}
			for _, s := range d.Settings {
				if !strings.HasPrefix(s.Flag, d.ID+"-") || s.Env != "HERALD_"+strings.ToUpper(strings.ReplaceAll(s.Flag, "-", "_")) || s.Help == "" {
					t.Errorf("setting %+v: want flag %s-..., env HERALD_<FLAG>, and help", s, d.ID)
				}
			}
			if !d.CanFind {
				_, err := p.Find(context.Background(), &provider.Account{Credentials: json.RawMessage(`{}`)}, &provider.PublishRequest{Key: "k"})
				if !errors.Is(err, provider.ErrCannotTell) {
					t.Errorf("CanFind is false but Find = %v, want ErrCannotTell", err)
				}
			}
		})
	}
}
