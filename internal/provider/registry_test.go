package provider

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
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
