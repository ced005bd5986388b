package feed

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
)

func TestConnect(t *testing.T) {
	t.Parallel()
	p := New(Config{})
	a, err := p.Connect(context.Background(), json.RawMessage(`{"name":"  Company news "}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Company news" || !strings.HasPrefix(a.ExternalID, "feed-") || string(a.Credentials) != `{"name":"Company news"}` {
		t.Errorf("account = %+v", a)
	}
	b, _ := p.Connect(context.Background(), json.RawMessage(`{"name":"Company news"}`))
	if a.ExternalID == b.ExternalID {
		t.Error("two feeds got the same ExternalID")
	}
	for _, in := range []string{`{`, `{}`, `{"name":"   "}`, `{"name":"` + strings.Repeat("x", 201) + `"}`} {
		_, err := p.Connect(context.Background(), json.RawMessage(in))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Kind != provider.KindRejected {
			t.Errorf("Connect(%.20s) err = %v, want rejected", in, err)
		}
	}
}

func TestPublishFindDelete(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	p := New(Config{ItemURL: func(key string) string { return "https://herald.example/f/items/" + key }, Now: func() time.Time { return now }})
	pub, err := p.Publish(context.Background(), nil, &provider.PublishRequest{Key: "tgt_123", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	want := &provider.Published{RemoteID: "tgt_123", URL: "https://herald.example/f/items/tgt_123", PublishedAt: now}
	if diff := cmp.Diff(want, pub); diff != "" {
		t.Errorf("Published (-want +got):\n%s", diff)
	}
	if _, err := p.Find(context.Background(), nil, &provider.PublishRequest{Key: "tgt_123"}); !errors.Is(err, provider.ErrNotPublished) {
		t.Errorf("Find err = %v, want ErrNotPublished", err)
	}
	if err := p.Delete(context.Background(), nil, "tgt_123"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if r, err := p.Rules(context.Background(), nil); err != nil || r.Network != Name {
		t.Errorf("Rules = %+v, %v", r, err)
	}
}

func TestTitleFromText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 40)
	tests := []struct{ name, in, want string }{
		{"first line", "Hello world\nsecond", "Hello world"},
		{"skips blank lines", "\n  \n  Title here  \nbody", "Title here"},
		{"empty", "", ""},
		{"cut at a word", long, strings.TrimSpace(strings.Repeat("word ", 27)) + "…"},
		{"cut inside a long word", strings.Repeat("x", 200), strings.Repeat("x", 139) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := TitleFromText(tt.in)
			if got != tt.want {
				t.Errorf("TitleFromText = %q, want %q", got, tt.want)
			}
			if n := len([]rune(got)); n > maxTitle {
				t.Errorf("title of %d characters", n)
			}
		})
	}
}

func TestXMLText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
		{"a\x00b\x01c\x0bd\x1fe", "abcde"},
		{"bad \xff utf8", "bad  utf8"},
		{"nonchar \uFFFE\uFFFF end", "nonchar  end"},
		{"emoji 🎉 and é", "emoji 🎉 and é"},
	}
	for _, tt := range tests {
		if got := xmlText(tt.in); got != tt.want {
			t.Errorf("xmlText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
