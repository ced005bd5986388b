package blackbox

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// TestAPI runs the whole API suite against one server per database. Every
// group makes its own workspaces or users, so that the groups run in
// parallel on one server without seeing each other's rows.
func TestAPI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		if s.adminKey == "" || s.adminWorkspace == "" {
			t.Fatalf("the first start printed no API key and workspace id; stdout:\n%s", strings.Join(s.stdout, "\n"))
		}
		groups := []struct {
			name string
			f    func(*testing.T, *server)
		}{
			{"Account", testAccount},
			{"Invite", testInvite},
			{"APIKeys", testAPIKeys},
			{"Authentication", testAuthentication},
			{"Viewer", testViewer},
			{"SocialProfiles", testSocialProfiles},
			{"ConnectionURL", testConnectionURL},
			{"ConnectProfile", testConnectProfile},
			{"BrandKits", testBrandKits},
			{"HashtagLibraries", testHashtagLibraries},
			{"StudioTemplates", testStudioTemplates},
			{"AssetErrors", testAssetErrors},
			{"CreatePost", testCreatePost},
			{"PostErrors", testPostErrors},
			{"ValidatePost", testValidatePost},
			{"ListPosts", testListPosts},
			{"ListPostsErrors", testListPostsErrors},
			{"UpdatePost", testUpdatePost},
			{"UpdatePostErrors", testUpdatePostErrors},
			{"DeletePost", testDeletePost},
			{"PublishAndRetry", testPublishAndRetry},
			{"ForeignIDs", testForeignIDs},
			{"Idempotency", testIdempotency},
			{"AI", testAI},
			{"Routing", testRouting},
			{"BodyLimits", testBodyLimits},
			{"Meta", testMeta},
		}
		for _, g := range groups {
			t.Run(g.name, func(t *testing.T) {
				t.Parallel()
				g.f(t, s)
			})
		}
	})
}

// wireTime is the form of every time Herald writes: UTC with milliseconds.
var wireTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// wantAPIError checks that err is an *APIError with status whose message
// contains each of subs (the field it names, the rule).
func wantAPIError(t *testing.T, err error, status int, subs ...string) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Errorf("got error %v (%T), want an API error %d", err, err, status)
		return nil
	}
	if ae.Status != status {
		t.Errorf("got %d %q, want %d", ae.Status, ae.Message, status)
	}
	for _, s := range subs {
		if !strings.Contains(ae.Message, s) {
			t.Errorf("message %q does not contain %q", ae.Message, s)
		}
	}
	return ae
}

// wantStatus checks a raw answer's status and that its message contains
// each of subs.
func wantStatus(t *testing.T, what string, a answer, status int, subs ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: got %d %s, want %d", what, a.status, a.body, status)
		return
	}
	for _, s := range subs {
		if !strings.Contains(a.message(), s) {
			t.Errorf("%s: message %q does not contain %q", what, a.message(), s)
		}
	}
}

// admin returns a client with the key printed at the first start.
func (s *server) admin(t *testing.T) *client.Client { return s.client(t, s.adminKey) }

// newWorkspace makes a workspace of the admin's for one test, so that its
// lists hold only what the test made.
func (s *server) newWorkspace(t *testing.T) string {
	t.Helper()
	w, err := s.admin(t).CreateWorkspace(t.Context(), "ws "+t.Name())
	if err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	return w.ID
}

// future is a time to schedule at, in UTC whole seconds.
func future(d time.Duration) time.Time {
	return time.Now().Add(d).UTC().Truncate(time.Second)
}

func ptr[T any](v T) *T { return &v }

// check returns v, ending the test on err: check(c.Me(ctx))(t).
func check[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// noErr ends the test on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
