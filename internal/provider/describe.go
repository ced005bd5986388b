package provider

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Descriptor is everything Herald knows about a network, said by the
// network's own package through Provider.Describe. app, api (the OpenAPI
// document and the connect-body schema), config --help and the web app read
// it from the registry, so that adding a network touches its package and the
// one line of cli that lists it.
type Descriptor struct {
	// ID is the provider id on the wire, stored with every profile: an id of
	// herald.Networks for the networks of that table.
	ID string
	// Aliases are other names accepted for ID as input ("x" for "twitter").
	Aliases []string
	// Name is how people call the network ("Mastodon").
	Name string
	// Connect says how an account of the network is connected.
	Connect Connect
	// Options are the per-target options of a post group that the network
	// takes, by name (PostOptions[ID][name]).
	Options map[string]OptionRule
	// Rules is the network's row of the rule table: its default limits and
	// its text counter (Rules.Count). Network must equal ID.
	Rules Rules
	// CountingNote explains the counter to a user whose caption is too long
	// (" (each link counts as ...)"); empty when the network counts
	// characters.
	CountingNote string
	// LiveRules means Provider.Rules reads the account's limits from the
	// network (a Mastodon instance's own); when that read fails, Rules (the
	// row) would be a guess, so the network decides instead.
	LiveRules bool
	// Settings are the network's own settings (an API base URL, an OAuth
	// application's client id), shown by --help and read when the network
	// is built.
	Settings []Setting
	// CanFind says whether Provider.Find can tell whether a post went out
	// (false: Find always returns ErrCannotTell, and an attempt whose outcome
	// is unknown needs a person).
	CanFind bool
}

// Connect says how an account of a network is connected.
type Connect struct {
	// Credentials are the fields of POST /social-profiles the network takes
	// besides "provider" (an access token, a webhook URL); nil when the
	// network is not connected with credentials. They are the network's
	// connect-body schema; the network parses its body itself.
	Credentials []Field
	// OAuth is set when the network is connected through a browser.
	OAuth *OAuth
}

// OAuth describes a network's browser connection flow.
type OAuth struct {
	// Scopes are the permissions Herald asks for.
	Scopes []string
	// Server means the user names the server (a Mastodon instance) and
	// Herald registers itself there (the provider implements ServerOAuth).
	Server bool
	// Instructions tell the user what to do with the connection URL.
	Instructions string
}

// Field is one field of a network's connect body.
type Field struct {
	// Name is the JSON name ("instanceUrl").
	Name string
	// Required says whether the connect body must have it.
	Required bool
	// Doc says what to put there.
	Doc string
}

// Schema returns the JSON schema of the connect body of the network with
// these fields: an object with "provider" set to id and the fields as
// strings.
func (c Connect) Schema(id string) map[string]any {
	props := map[string]any{"provider": map[string]any{"type": "string", "enum": []string{id}}}
	required := []string{"provider"}
	for _, f := range c.Credentials {
		props[f.Name] = map[string]any{"type": "string", "description": f.Doc}
		if f.Required {
			required = append(required, f.Name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// OptionRule checks one per-target option. Values, when set, are the only
// values allowed; Check, when set, says what is wrong with a value or "".
type OptionRule struct {
	Values []string
	Check  func(v string) string `json:"-"`
	// Doc says what the option does.
	Doc string
}

// languageTag matches a language tag such as en or pt-BR. Compiled once:
// descriptors are built at start, and tests build many.
var languageTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)

// Languages returns an OptionRule.Check for a comma-separated list of at
// most max language tags ("en" or "en,pt-BR").
func Languages(max int) func(string) string {
	return func(v string) string {
		parts := strings.Split(v, ",")
		if len(parts) > max {
			return "at most " + strconv.Itoa(max) + " languages"
		}
		for _, p := range parts {
			if !languageTag.MatchString(strings.TrimSpace(p)) {
				return "\"" + p + "\" is not a language tag such as en or pt-BR"
			}
		}
		return ""
	}
}

// MaxLength returns an OptionRule.Check for text of at most n characters.
func MaxLength(n int) func(string) string {
	return func(v string) string {
		if utf8.RuneCountInString(v) > n {
			return "must be at most " + strconv.Itoa(n) + " characters"
		}
		return ""
	}
}

// Setting is one setting of a network: its flag, environment variable,
// default and help, as config.Setting, and the field of the network's own
// configuration that its value is read into.
type Setting struct {
	Flag, Env, Default, Help string
	// Value is the typed field the composition root sets to the setting's
	// value (its default when unset) before it calls Network.New; in a
	// descriptor, which only describes, it points nowhere that is read.
	Value *string `json:"-"`
}

// Env is what the composition root gives a network package to build its
// Provider.
type Env struct {
	// Client makes every outbound request (it applies the address policy).
	Client *http.Client
	// Now is the clock.
	Now func() time.Time
	// PublicURL is where this Herald is reached, without a trailing slash.
	PublicURL string
}

// Network is a network package's entry in the list the composition root
// wires: its settings, known before it is built, and how to build it. The
// root sets each setting's Value, then calls New, which reads the fields
// the Values point to.
type Network struct {
	Settings []Setting
	New      func(env Env) (Provider, error)
}
