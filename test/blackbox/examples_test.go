package blackbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/heraldhq/herald/client"
)

// flowSummary is what each testdata/flow.* script prints at its end.
type flowSummary struct {
	Me               string            `json:"me"`
	WorkspaceID      string            `json:"workspaceId"`
	AuthURL          string            `json:"authUrl"`
	AuthProvider     string            `json:"authProvider"`
	ConnectURL       string            `json:"connectUrl"`
	ProfileIDs       []string          `json:"profileIds"`
	BrandKits        int               `json:"brandKits"`
	HashtagLibraries int               `json:"hashtagLibraries"`
	StudioTemplates  int               `json:"studioTemplates"`
	PostGroupID      string            `json:"postGroupId"`
	Listed           bool              `json:"listed"`
	GetStatus        string            `json:"getStatus"`
	ScheduledAt      string            `json:"scheduledAt"`
	Patch            map[string]string `json:"patch"`
	Delete           map[string]string `json:"delete"`
	AfterDelete      int               `json:"afterDelete"`
}

// TestOcoyaExamples runs Ocoya's documented "Typical Publishing Flow"
// (me → workspaces → connection URL → social profiles → brand kits →
// hashtag libraries → studio templates → POST /post → GET /post → PATCH →
// DELETE) as the documentation writes it with curl, Node.js and Python,
// changing only the base URL, and asking for the connection URL of a
// network this Herald connects through a browser (mastodon; Ocoya's
// instagram and x are refused until Herald supports them).
func TestOcoyaExamples(t *testing.T) {
	t.Parallel()
	scripts := []struct{ name, prog, file string }{
		{"curl", "bash", "flow.sh"},
		{"node", "node", "flow.mjs"},
		{"python", "python3", "flow.py"},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		for _, sc := range scripts {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				prog, err := exec.LookPath(sc.prog)
				if err != nil {
					t.Skipf("%s is not installed", sc.prog)
				}
				if sc.name == "curl" {
					if _, err := exec.LookPath("curl"); err != nil {
						t.Skip("curl is not installed")
					}
				}
				// The person behind the script: their workspace, a profile
				// they connected in the browser, and some saved context.
				email := "flow-" + sc.name + "-" + b.name + "@example.com"
				u := s.initUser(t, email)
				profile := s.seedProfile(t, u.WorkspaceID, "linkedin", "Acme", "connected")
				c := s.client(t, u.APIKey)
				check(c.CreateBrandKit(t.Context(), u.WorkspaceID, client.BrandKitInput{Name: "Acme"}))(t)
				check(c.CreateHashtagLibrary(t.Context(), u.WorkspaceID, client.HashtagLibraryInput{Name: "Launch", Hashtags: []string{"launch"}}))(t)
				check(c.CreateStudioTemplate(t.Context(), u.WorkspaceID, client.StudioTemplateInput{Name: "Square", Width: 1080, Height: 1080}))(t)

				at := future(24 * time.Hour)
				at2 := future(48 * time.Hour)
				cmd := exec.CommandContext(t.Context(), prog, filepath.Join("testdata", sc.file))
				cmd.Env = append(cleanEnv(), "OCOYA_BASE_URL="+s.api, "OCOYA_API_KEY="+u.APIKey,
					"SCHEDULED_AT="+at.Format(time.RFC3339), "RESCHEDULED_AT="+at2.Format(time.RFC3339), "MEDIA_URL="+mediaBase+"/a.png")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", sc.prog, sc.file, err, stdout.String(), stderr.String())
				}
				lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
				var got flowSummary
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
					t.Fatalf("%s printed %q: %v", sc.file, stdout.String(), err)
				}
				want := flowSummary{
					Me: email, WorkspaceID: u.WorkspaceID, AuthProvider: "mastodon", ProfileIDs: []string{profile},
					BrandKits: 1, HashtagLibraries: 1, StudioTemplates: 1, Listed: true, GetStatus: "SCHEDULED",
					ScheduledAt: at2.Format("2006-01-02T15:04:05") + ".000Z",
					Patch:       map[string]string{}, Delete: map[string]string{}, AfterDelete: http.StatusNotFound,
				}
				if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(flowSummary{}, "AuthURL", "ConnectURL", "PostGroupID")); diff != "" {
					t.Errorf("%s summary (-want +got):\n%s", sc.file, diff)
				}
				if !strings.HasPrefix(got.AuthURL, s.root+"/") || !strings.HasPrefix(got.ConnectURL, s.root+"/") || got.PostGroupID == "" {
					t.Errorf("%s: authUrl %q, url %q, postGroupId %q", sc.file, got.AuthURL, got.ConnectURL, got.PostGroupID)
				}
				// What the script did is what the server holds.
				_, err = c.GetPost(t.Context(), got.PostGroupID)
				wantAPIError(t, err, http.StatusNotFound)
				if ps := check(c.ListPosts(t.Context(), u.WorkspaceID, client.ListPostsOptions{}))(t); len(ps) != 0 {
					t.Errorf("after the flow the workspace holds %d posts, want 0", len(ps))
				}
			})
		}
	})
}
