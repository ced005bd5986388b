package herald

import (
	"strings"
	"testing"
)

func TestNetworkTable(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, n := range Networks() {
		for _, name := range append([]string{n.ID}, n.Aliases...) {
			if other, dup := seen[name]; dup {
				t.Errorf("%q names both %s and %s", name, other, n.ID)
			}
			seen[name] = n.ID
		}
		if n.Upper == "" || n.Name == "" {
			t.Errorf("%s: Upper %q and Name %q must be set", n.ID, n.Upper, n.Name)
		}
	}
}

func TestNetworkIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, id, upper, name string
	}{
		{"twitter", "twitter", "TWITTER", "X"},
		{"x", "twitter", "TWITTER", "X"},
		{" X ", "twitter", "TWITTER", "X"},
		{"googlebusiness", "googlebusiness", "GOOGLEBUSINESS", "Google Business Profile"},
		{"instagram", "instagram", "INSTAGRAM", "Instagram"},
		{"Mastodon", "mastodon", "MASTODON", "Mastodon"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			id := NormalizeProvider(tt.in)
			if id != tt.id {
				t.Fatalf("NormalizeProvider(%q) = %q, want %q", tt.in, id, tt.id)
			}
			if !IsNetworkID(id) {
				t.Errorf("IsNetworkID(%q) = false", id)
			}
			if got := NetworkUpper(id); got != tt.upper {
				t.Errorf("NetworkUpper(%q) = %q, want %q", id, got, tt.upper)
			}
			if got := NetworkName(id); got != tt.name {
				t.Errorf("NetworkName(%q) = %q, want %q", id, got, tt.name)
			}
		})
	}
	if IsNetworkID("x") {
		t.Error(`IsNetworkID("x") = true; "x" is an alias, not an id`)
	}
	if got := NormalizeProvider("Echo"); got != "echo" {
		t.Errorf(`NormalizeProvider("Echo") = %q: a name outside the table is lower-cased`, got)
	}
	if got, want := NetworkName("echo"), "Echo"; got != want {
		t.Errorf("NetworkName(echo) = %q, want %q", got, want)
	}
}

func TestOAuthProviders(t *testing.T) {
	t.Parallel()
	want := []string{"facebook", "instagram", "twitter", "linkedin", "pinterest", "tiktok", "youtube", "threads", "googlebusiness", "mastodon"}
	got := OAuthProviders()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("OAuthProviders() = %v, want %v (Ocoya's order)", got, want)
	}
	got[0] = "changed"
	if OAuthProviders()[0] != "facebook" {
		t.Error("changing the answer changed the table")
	}
}
