package web

import "testing"

// TestSafeNext checks the spellings that browsers read as another site (or
// as a script) after sign-in: every one must fall back to "/".
func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, next, want string
	}{
		{"empty", "", "/"},
		{"root", "/", "/"},
		{"path", "/connect/mastodon", "/connect/mastodon"},
		{"path and query", "/connect/mastodon?workspaceId=abc&x=a+b", "/connect/mastodon?workspaceId=abc&x=a+b"},
		{"trailing slash", "/feeds/", "/feeds/"},
		{"encoded letter", "/a%41b", "/a%41b"},
		{"protocol-relative", "//evil.example/phish", "/"},
		{"three slashes", "///evil.example/phish", "/"},
		{"backslash after slash", "/\\evil.example/phish", "/"},
		{"two backslashes", "\\\\evil.example/phish", "/"},
		{"slash backslash slash", "/\\/evil.example", "/"},
		{"tab", "/\t/evil.example/phish", "/"},
		{"newline", "/\n/evil.example/phish", "/"},
		{"carriage return", "/\r/evil.example", "/"},
		{"NUL", "/\x00/evil.example", "/"},
		{"DEL", "/\x7f/evil.example", "/"},
		{"leading space", " //evil.example", "/"},
		{"space inside", "/ /evil.example", "/"},
		{"encoded slashes", "/%2f%2fevil.example", "/"},
		{"encoded slashes upper", "/%2F%2Fevil.example", "/"},
		{"encoded backslash", "/%5cevil.example", "/"},
		{"encoded backslash upper", "/%5C%5Cevil.example", "/"},
		{"encoded tab", "/%09/evil.example", "/"},
		{"encoded newline", "/%0a/evil.example", "/"},
		{"encoded NUL", "/%00/evil.example", "/"},
		{"bad escape", "/%zz", "/"},
		{"absolute http", "http://evil.example/", "/"},
		{"scheme-relative http", "http:evil.example", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"javascript after slash", "/javascript:alert(1)", "/javascript:alert(1)"},
		{"data", "data:text/html,<script>alert(1)</script>", "/"},
		{"user info", "//user@evil.example", "/"},
		{"dot segments", "/./evil.example", "/"},
		{"parent then double slash", "/..//evil.example", "/"},
		{"double slash later", "/a//evil.example", "/"},
		{"unicode line separator", "/\u2028/evil.example", "/"},
		{"zero-width space", "/\u200b/evil.example", "/"},
		{"non-ASCII path", "/ａ", "/%EF%BD%81"},
		{"invalid UTF-8", "/\xff/evil", "/"},
		{"relative", "evil.example", "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := safeNext(tc.next); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}
