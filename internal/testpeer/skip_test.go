package testpeer

import (
	"fmt"
	"strings"
	"testing"
)

// recordingTB records how a helper ends a test instead of ending it, so the
// skip and failure paths can be checked. Everything else goes to the real
// test.
type recordingTB struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recordingTB) Helper()                       {}
func (r *recordingTB) Skip(args ...any)              { r.skipped = fmt.Sprint(args...) }
func (r *recordingTB) Skipf(format string, a ...any) { r.skipped = fmt.Sprintf(format, a...) }
func (r *recordingTB) Fatal(args ...any)             { r.failed = fmt.Sprint(args...) }
func (r *recordingTB) Fatalf(format string, a ...any) {
	r.failed = fmt.Sprintf(format, a...)
}

// TestMissingServers checks what a test sees when .ci/peers has not run:
// a skip that says how to fix it, or a failure under HERALD_REQUIRE_PEERS=1.
// Not parallel: it sets environment variables.
func TestMissingServers(t *testing.T) {
	starts := map[string]func(testing.TB){
		"GoToSocial": func(tb testing.TB) { StartGoToSocial(tb) },
		"PDS":        func(tb testing.TB) { StartPDS(tb) },
	}
	tests := []struct {
		name     string
		require  string
		wantSkip bool
	}{
		{name: "skipped by default", require: "", wantSkip: true},
		{name: "failed when required", require: "1", wantSkip: false},
	}
	for _, tt := range tests {
		for server, start := range starts {
			t.Run(tt.name+"/"+server, func(t *testing.T) {
				t.Setenv("HERALD_PEERS_DIR", t.TempDir())
				t.Setenv("HERALD_REQUIRE_PEERS", tt.require)
				rec := &recordingTB{TB: t}
				start(rec)
				got := rec.failed
				if tt.wantSkip {
					got = rec.skipped
					if rec.failed != "" {
						t.Errorf("failed with %q, want a skip", rec.failed)
					}
				} else if rec.skipped != "" {
					t.Errorf("skipped with %q, want a failure", rec.skipped)
				}
				if !strings.Contains(got, "run .ci/peers") {
					t.Errorf("message %q does not say to run .ci/peers", got)
				}
			})
		}
	}
}

// TestPeersNeedRun checks that shared servers refuse to start in a package
// whose TestMain does not call Peers.Run: nothing would stop them.
func TestPeersNeedRun(t *testing.T) {
	t.Parallel()
	var p Peers
	for name, get := range map[string]func(testing.TB){
		"GoToSocial": func(tb testing.TB) { p.GoToSocial(tb) },
		"PDS":        func(tb testing.TB) { p.PDS(tb) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			get(rec)
			if !strings.Contains(rec.failed, "Peers.Run") {
				t.Errorf("failure %q, want one naming Peers.Run", rec.failed)
			}
		})
	}
}
