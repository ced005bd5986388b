package blackbox

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// readmeMarker precedes each README shell block that readmeExamples runs.
const readmeMarker = "<!-- api-example"

// readmeExamples returns the shell blocks of the README marked with
// readmeMarker, in order.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), readmeMarker) {
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "```sh" {
			t.Fatalf("README.md:%d: %s must be followed by a ```sh block", i+1, readmeMarker)
		}
		var block []string
		for i += 2; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			block = append(block, lines[i])
		}
		blocks = append(blocks, strings.Join(block, "\n"))
	}
	return blocks
}

// TestREADMEExamples runs the README's API examples, as written, with bash
// against a started server: only H and K are set, as the README says to.
// Every curl is -f, so any answer that is not 2xx fails the test; the README
// therefore stays true.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s is not installed", prog)
		}
	}
	blocks := readmeExamples(t)
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d blocks marked %s, want the API examples", len(blocks), readmeMarker)
	}
	script := "set -euo pipefail\n" + strings.Join(blocks, "\n")
	for i, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == "curl" && !strings.Contains(line, "-fsS") {
				t.Errorf("README example block %d: %q: every curl needs -fsS so that a failure shows", i+1, line)
			}
		}
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
		cmd.Env = append(cleanEnv(), "H="+s.api, "K=X-API-Key: "+s.adminKey)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("README examples: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		// What the examples did is what the server holds: the feed profile,
		// a draft and the post published now; the scheduled one is deleted.
		c := s.admin(t)
		profiles := check(c.SocialProfiles(t.Context(), s.adminWorkspace))(t)
		if len(profiles) != 1 || profiles[0].Provider != "feed" || profiles[0].Name != "News" {
			t.Errorf("profiles after the README = %+v, want the feed News", profiles)
		}
		posts := check(c.ListPosts(t.Context(), s.adminWorkspace, client.ListPostsOptions{}))(t)
		if len(posts) != 2 {
			t.Fatalf("posts after the README = %d, want the draft and the post published now\nstdout:\n%s", len(posts), stdout.String())
		}
		// The post "published now" is published at once, and not late.
		now := posts[0]
		for deadline := time.Now().Add(20 * time.Second); now.Status != "POSTED" && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			now = *check(c.GetPost(t.Context(), now.ID))(t)
		}
		if now.Status != "POSTED" || len(now.SocialProfiles) != 1 || now.SocialProfiles[0].Late {
			t.Errorf("the post published now = %+v, want POSTED on time", now)
		}
	})
}
