package sqlite

import "testing"

func TestCacheable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		query string
		want  bool
	}{
		{"SELECT 1", true},
		{"SELECT 1;", true},
		{"SELECT 1;  \n -- done\n", true},
		{"SELECT 1; /* done */", true},
		{"-- Materialize the list once; reevaluating it is costly.\nUPDATE river_job SET x = 1", true},
		{"/* a; b */ SELECT 1", true},
		{"SELECT 'a;b', \"c;d\", `e;f`, [g;h]", true},
		{"SELECT 'it''s; fine'", true},
		{"SELECT 1; SELECT 2", false},
		{"CREATE TABLE a (x);\nCREATE TABLE b (y);", false},
		{"SELECT 1; -- one\nSELECT 2", false},
		{"SELECT 1;'x'", false},
		{"SELECT 'unterminated;", true},
		{"SELECT 1 -- unterminated comment; SELECT 2", true},
		{"SELECT 1 /* unterminated; SELECT 2", true},
	} {
		if got := cacheable(tt.query); got != tt.want {
			t.Errorf("cacheable(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}
