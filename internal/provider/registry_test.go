package provider

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
)

// namedProvider is a Provider that only has a name.
type namedProvider struct {
	Provider
	name string
}

func (p namedProvider) Name() string { return p.name }

func (p namedProvider) Describe() Descriptor { return Descriptor{ID: p.name} }

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := NewRegistry(namedProvider{name: "slack"}, namedProvider{name: "discord"})
	r.Register(namedProvider{name: "bluesky"})

	if diff := cmp.Diff([]string{"bluesky", "discord", "slack"}, r.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	p, ok := r.Get("discord")
	if !ok || p.Name() != "discord" {
		t.Errorf("Get(discord) = %v, %v", p, ok)
	}
	if p, ok := r.Get("myspace"); ok {
		t.Errorf("Get(myspace) = %v, true", p)
	}
}

func TestRegistryZeroValue(t *testing.T) {
	t.Parallel()
	var r Registry
	if names := r.Names(); len(names) != 0 {
		t.Errorf("empty registry Names = %v", names)
	}
	if _, ok := r.Get("x"); ok {
		t.Error("empty registry Get(x) found something")
	}
	r.Register(namedProvider{name: "x"})
	if _, ok := r.Get("x"); !ok {
		t.Error("Get(x) after Register failed")
	}
}

func TestRegistryPanicsOnWiringMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Provider
	}{
		{"duplicate", namedProvider{name: "x"}},
		{"empty name", namedProvider{name: ""}},
		{"descriptor of another id", describedProvider{name: "echo", d: Descriptor{ID: "ohce"}}},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewRegistry(namedProvider{name: "x"})
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%v) did not panic", tt.p)
				}
			}()
			r.Register(tt.p)
		})
	}
}

func TestRegistryConcurrentReads(t *testing.T) {
	t.Parallel()
	r := NewRegistry(namedProvider{name: "a"}, namedProvider{name: "b"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				r.Get("a")
				r.Names()
			}
		}()
	}
	r.Register(namedProvider{name: "c"})
	wg.Wait()
	if _, ok := r.Get("c"); !ok {
		t.Error("Get(c) failed")
	}
}

// describedProvider is a Provider with a name and a descriptor.
type describedProvider struct {
	Provider
	name string
	d    Descriptor
}

func (p describedProvider) Name() string         { return p.name }
func (p describedProvider) Describe() Descriptor { return p.d }

func echoRegistry() *Registry {
	return NewRegistry(describedProvider{name: "echo", d: Descriptor{
		ID:      "echo",
		Aliases: []string{"ohce"},
		Options: map[string]OptionRule{
			"tone":     {Values: []string{"loud", "quiet"}},
			"language": {Check: Languages(2)},
			"note":     {Check: MaxLength(3)},
		},
		Rules: Rules{MaxChars: 7, ImageTypes: []string{MIMEPNG}},
	}}, namedProvider{name: "plain"})
}

func TestRegistryResolve(t *testing.T) {
	t.Parallel()
	r := echoRegistry()
	for _, name := range []string{"echo", " ECHO ", "ohce", "Ohce"} {
		if p, ok := r.Resolve(name); !ok || p.Name() != "echo" {
			t.Errorf("Resolve(%q) = %v, %v; want echo", name, p, ok)
		}
	}
	if p, ok := r.Resolve("x"); ok {
		t.Errorf("Resolve(x) = %v; want none", p)
	}
}

func TestRegistryDefaultRules(t *testing.T) {
	t.Parallel()
	r := echoRegistry()
	got, ok := r.DefaultRules("echo")
	if !ok || got.MaxChars != 7 || got.Network != "echo" {
		t.Fatalf("DefaultRules(echo) = %+v, %v; want the row echo describes", got, ok)
	}
	got.ImageTypes[0] = "image/changed"
	if again, _ := r.DefaultRules("echo"); again.ImageTypes[0] != MIMEPNG {
		t.Error("changing the row handed out changed the next one")
	}
	// A network without a package keeps the shared table's row.
	if x, ok := r.DefaultRules("twitter"); !ok || x.MaxChars != 280 {
		t.Errorf("DefaultRules(twitter) = %+v, %v; want the table's row", x, ok)
	}
	var none *Registry
	if x, ok := none.DefaultRules("twitter"); !ok || x.MaxChars != 280 {
		t.Errorf("nil registry: DefaultRules(twitter) = %+v, %v; want the table's row", x, ok)
	}
}

func TestRegistryValidateOptions(t *testing.T) {
	t.Parallel()
	r := echoRegistry()
	tests := []struct {
		name string
		in   herald.PostOptions
		want string // "" for valid
	}{
		{"none", nil, ""},
		{"valid", herald.PostOptions{"echo": {"tone": "loud", "language": "en,pt-BR", "note": "abc"}}, ""},
		{"network without options", herald.PostOptions{"plain": {"a": "b"}}, "options.plain: no options exist for this network (options exist for echo)"},
		{"unknown network", herald.PostOptions{"myspace": {"a": "b"}}, "options.myspace: no options exist"},
		{"unknown option", herald.PostOptions{"echo": {"volume": "11"}}, "options.echo.volume: unknown option; echo takes language, note, tone"},
		{"value not allowed", herald.PostOptions{"echo": {"tone": "shrill"}}, `options.echo.tone: "shrill" is not one of loud, quiet`},
		{"too many languages", herald.PostOptions{"echo": {"language": "en,de,fr"}}, "options.echo.language: at most 2 languages"},
		{"not a language", herald.PostOptions{"echo": {"language": "english!"}}, `"english!" is not a language tag`},
		{"too long", herald.PostOptions{"echo": {"note": "abcd"}}, "options.echo.note: must be at most 3 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := r.ValidateOptions(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateOptions = %v, want nil", err)
				}
				return
			}
			if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), tt.want) {
				t.Errorf("ValidateOptions = %v, want invalid %q", err, tt.want)
			}
		})
	}
}

func TestConnectSchema(t *testing.T) {
	t.Parallel()
	c := Connect{Credentials: []Field{{Name: "room", Required: true, Doc: "the room"}, {Name: "topic"}}}
	got := c.Schema("echo")
	want := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"provider": map[string]any{"type": "string", "enum": []string{"echo"}},
			"room":     map[string]any{"type": "string", "description": "the room"},
			"topic":    map[string]any{"type": "string", "description": ""},
		},
		"required": []string{"provider", "room"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Schema (-want +got):\n%s", diff)
	}
}

// countingProvider counts how often it is asked to describe itself.
type countingProvider struct {
	Provider
	calls *int
}

func (p countingProvider) Name() string { return "echo" }

func (p countingProvider) Describe() Descriptor {
	*p.calls++
	return Descriptor{ID: "echo", Aliases: []string{"ohce"}, Options: map[string]OptionRule{"tone": {Values: []string{"loud"}}}}
}

// A network is described once, when it is registered: checking a post's
// options, resolving an alias and reading rules must not build the
// descriptor again (building one may compile patterns, and POST /post
// checks options on every request; it once cost a fifth of its CPU).
func TestRegistryDescribesOnce(t *testing.T) {
	t.Parallel()
	calls := 0
	r := NewRegistry(countingProvider{calls: &calls})
	for range 10 {
		if err := r.ValidateOptions(herald.PostOptions{"echo": {"tone": "loud"}}); err != nil {
			t.Fatal(err)
		}
		r.Descriptors()
		r.DefaultRules("echo")
		if _, ok := r.Resolve("OHCE"); !ok {
			t.Fatal("alias not resolved")
		}
		if _, ok := r.Descriptor("echo"); !ok {
			t.Fatal("no descriptor")
		}
	}
	if calls != 1 {
		t.Errorf("Describe called %d times, want once (at Register)", calls)
	}
}
