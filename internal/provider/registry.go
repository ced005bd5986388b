package provider

import (
	"fmt"
	"slices"
	"sync"
)

// Registry maps provider names to Providers. The composition root builds one
// and passes it down; there is no package-level registry, so tests can build
// their own with fakes.
//
// The zero value is an empty registry ready to use. It is safe for
// concurrent use, although it is normally filled once at start-up and only
// read afterwards.
type Registry struct {
	mu        sync.RWMutex
	providers map[string]Provider
}

// NewRegistry returns a registry holding ps.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{}
	for _, p := range ps {
		r.Register(p)
	}
	return r
}

// Register adds p under p.Name(). Registering two providers under one name,
// or a provider with an empty name, is a wiring mistake in the composition
// root and panics, as http.ServeMux does for duplicate patterns.
func (r *Registry) Register(p Provider) {
	if p == nil {
		panic("provider: Register of a nil Provider")
	}
	name := p.Name()
	if name == "" {
		panic("provider: Register of a Provider with an empty name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.providers == nil {
		r.providers = make(map[string]Provider)
	}
	if _, dup := r.providers[name]; dup {
		panic(fmt.Sprintf("provider: Register called twice for %q", name))
	}
	r.providers[name] = p
}

// Get returns the provider registered under name.
func (r *Registry) Get(name string) (Provider, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.providers[name]
	return p, ok
}

// Names returns the registered names in sorted order, for listings and
// error messages ("unknown provider; one of ...").
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.providers))
	for name := range r.providers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
