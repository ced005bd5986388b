package provider

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/heraldhq/herald"
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
	// descs are the providers' descriptors, taken once at Register: a
	// descriptor does not change, and building one may compile patterns,
	// which validating every post must not pay for again.
	descs map[string]Descriptor
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
// a provider with an empty name, or one whose descriptor names another id is a wiring mistake in the composition
// root and panics, as http.ServeMux does for duplicate patterns.
func (r *Registry) Register(p Provider) {
	if p == nil {
		panic("provider: Register of a nil Provider")
	}
	name := p.Name()
	if name == "" {
		panic("provider: Register of a Provider with an empty name")
	}
	d := p.Describe()
	if d.ID != name {
		panic(fmt.Sprintf("provider: %q describes itself as %q", name, d.ID))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.providers == nil {
		r.providers = make(map[string]Provider)
		r.descs = make(map[string]Descriptor)
	}
	if _, dup := r.providers[name]; dup {
		panic(fmt.Sprintf("provider: Register called twice for %q", name))
	}
	r.providers[name] = p
	r.descs[name] = d
}

// Descriptor returns the descriptor of the network registered as name, taken
// at Register.
func (r *Registry) Descriptor(name string) (Descriptor, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.descs[name]
	return d, ok
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

// Resolve returns the provider whose id or one of whose aliases is name,
// ignoring case and surrounding space ("X" finds "twitter").
func (r *Registry) Resolve(name string) (Provider, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if p, ok := r.Get(name); ok {
		return p, true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for id, p := range r.providers {
		if slices.Contains(r.descs[id].Aliases, name) {
			return p, true
		}
	}
	return nil, false
}

// Descriptors returns the descriptors of the registered networks, sorted by
// id.
func (r *Registry) Descriptors() []Descriptor {
	names := r.Names()
	out := make([]Descriptor, 0, len(names))
	for _, name := range names {
		d, _ := r.Descriptor(name)
		out = append(out, d)
	}
	return out
}

// DefaultRules returns the rule-table row of the network with id: the row
// its package describes when it is registered, else the shared table's row
// for the networks without a package yet.
func (r *Registry) DefaultRules(id string) (Rules, bool) {
	if r != nil {
		if d, ok := r.Descriptor(id); ok {
			d.Rules.Network = id
			d.Rules.ImageTypes = slices.Clone(d.Rules.ImageTypes)
			d.Rules.VideoTypes = slices.Clone(d.Rules.VideoTypes)
			return d.Rules, true
		}
	}
	return DefaultRules(id)
}

// ValidateOptions checks a post group's per-network options against the
// option rules the registered networks describe.
func (r *Registry) ValidateOptions(o herald.PostOptions) error {
	all := map[string]map[string]OptionRule{}
	if r != nil {
		for _, d := range r.Descriptors() {
			if len(d.Options) > 0 {
				all[d.ID] = d.Options
			}
		}
	}
	for _, network := range slices.Sorted(maps.Keys(o)) {
		rules, ok := all[network]
		if !ok {
			return herald.Errorf(herald.EINVALID, "options.%s: no options exist for this network (options exist for %s)", network, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		for _, name := range slices.Sorted(maps.Keys(o[network])) {
			v := o[network][name]
			field := "options." + network + "." + name
			rule, ok := rules[name]
			if !ok {
				return herald.Errorf(herald.EINVALID, "%s: unknown option; %s takes %s", field, network, strings.Join(slices.Sorted(maps.Keys(rules)), ", "))
			}
			if rule.Values != nil && !slices.Contains(rule.Values, v) {
				return herald.Errorf(herald.EINVALID, "%s: %q is not one of %s", field, v, strings.Join(rule.Values, ", "))
			}
			if rule.Check != nil {
				if msg := rule.Check(v); msg != "" {
					return herald.Errorf(herald.EINVALID, "%s: %s", field, msg)
				}
			}
		}
	}
	return nil
}
