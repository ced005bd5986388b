package herald

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// PostOptions are per-network settings of a post group, keyed by provider
// then by option name: {"mastodon": {"visibility": "unlisted"}}.
type PostOptions map[string]map[string]string

// optionRule checks one option's value; nil means any text.
type optionRule struct {
	values []string
	check  func(v string) string // returns what is wrong, or ""
}

func languages(max int) func(string) string {
	languageTag := regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)
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

func maxLen(n int) func(string) string {
	return func(v string) string {
		if utf8.RuneCountInString(v) > n {
			return "must be at most " + strconv.Itoa(n) + " characters"
		}
		return ""
	}
}

// postOptionRules lists, per network, the options Herald passes on. It is
// built once, on first use, and never changed.
var postOptionRules = sync.OnceValue(func() map[string]map[string]optionRule {
	return map[string]map[string]optionRule{
		ProviderMastodon: {
			"visibility":  {values: []string{"public", "unlisted", "private", "direct"}},
			"spoilerText": {check: maxLen(500)},
			"language":    {check: languages(1)},
			"sensitive":   {values: []string{"true", "false"}},
		},
		ProviderBluesky: {
			"language": {check: languages(3)},
		},
		ProviderTelegram: {
			"parseMode": {values: []string{"HTML", "MarkdownV2", "Markdown"}},
		},
	}
})

// Validate checks every option against the networks' rules.
func (o PostOptions) Validate() error {
	all := postOptionRules()
	for _, network := range slices.Sorted(maps.Keys(o)) {
		rules, ok := all[network]
		if !ok {
			return Errorf(EINVALID, "options.%s: no options exist for this network (options exist for %s)", network, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		for _, name := range slices.Sorted(maps.Keys(o[network])) {
			v := o[network][name]
			field := "options." + network + "." + name
			rule, ok := rules[name]
			if !ok {
				return Errorf(EINVALID, "%s: unknown option; %s takes %s", field, network, strings.Join(slices.Sorted(maps.Keys(rules)), ", "))
			}
			if rule.values != nil && !slices.Contains(rule.values, v) {
				return Errorf(EINVALID, "%s: %q is not one of %s", field, v, strings.Join(rule.values, ", "))
			}
			if rule.check != nil {
				if msg := rule.check(v); msg != "" {
					return Errorf(EINVALID, "%s: %s", field, msg)
				}
			}
		}
	}
	return nil
}
