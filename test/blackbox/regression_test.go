package blackbox

// Findings: each test showed one bug the suite found in the server (all
// fixed); they stay as regression tests.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/testbin"
)

// F1: a known path with a trailing slash answers 405 "GET is not allowed
// on /api/_public/v1/post/; use POST or GET." (it names the very method it
// refuses). It should be a 404 like any unknown path.
func TestFindingTrailingSlash(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		for _, r := range []struct{ method, path string }{
			{"GET", "/post/"}, {"GET", "/me/"}, {"PATCH", "/post/"}, {"GET", "/brand-kits/?workspaceId=" + s.adminWorkspace},
		} {
			a := s.raw(t, r.method, r.path, s.adminKey, "", unrouted, "1")
			if a.status == http.StatusMethodNotAllowed && strings.Contains(a.header.Get("Allow"), r.method) {
				t.Errorf("%s %s = 405 with Allow: %s and %s, want 404", r.method, r.path, a.header.Get("Allow"), a.body)
			}
		}
	})
}

// F2: answers to unknown paths and methods (404/405) carry no
// X-RateLimit-* headers and are not counted: the contract puts them on
// every response.
func TestFindingRateLimitOnUnrouted(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{rateLimit: 3})
		for _, r := range []struct{ method, path string }{{"GET", "/nope"}, {"DELETE", "/me"}} {
			for _, key := range []string{s.adminKey, ""} {
				a := s.raw(t, r.method, r.path, key, "", unrouted, "1")
				if a.header.Get("X-RateLimit-Limit") == "" {
					t.Errorf("%s %s (key %v) = %d without X-RateLimit-* headers", r.method, r.path, key != "", a.status)
				}
			}
		}
		// And they are not counted: many unknown-path requests never meet 429.
		last := 0
		for range 10 {
			last = s.raw(t, "GET", "/nope", "", "", unrouted, "1").status
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("the 10th unauthenticated request to an unknown path with --rate-limit 3: %d, want 429", last)
		}
	})
}

// F3: a U+0000 in any free-text field is a 500 on PostgreSQL ("invalid byte
// sequence for encoding UTF8: 0x00", SQLSTATE 22021), and is stored as is on
// SQLite. It should be a 400 naming the field, on both.
func TestFindingNULCharacter(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		c := s.admin(t)
		ws := s.adminWorkspace
		post := check(c.CreatePost(t.Context(), ws, client.PostInput{Caption: "ok"}))(t)
		kit := check(c.CreateBrandKit(t.Context(), ws, client.BrandKitInput{Name: "ok"}))(t)
		for _, r := range []struct{ method, path, body, field string }{
			{"POST", "/post?workspaceId=" + ws, `{"caption":"a\u0000b"}`, "caption"},
			{"POST", "/post/validate?workspaceId=" + ws, `{"caption":"a\u0000b"}`, "caption"},
			{"PATCH", "/post/" + post.ID, `{"caption":"a\u0000b"}`, "caption"},
			{"POST", "/workspaces", `{"name":"a\u0000b"}`, "name"},
			{"POST", "/brand-kits?workspaceId=" + ws, `{"name":"a\u0000b"}`, "name"},
			{"PATCH", "/brand-kits/" + kit.ID + "?workspaceId=" + ws, `{"description":"a\u0000b"}`, "description"},
			{"POST", "/studio-templates?workspaceId=" + ws, `{"name":"x","description":"a\u0000b"}`, "description"},
			{"POST", "/api-keys", `{"name":"a\u0000b"}`, "name"},
			{"POST", "/workspaces/" + ws + "/members", `{"email":"nul-` + b.name + `\u0000@example.com"}`, "email"},
		} {
			wantStatus(t, r.method+" "+r.path+" "+r.body, s.raw(t, r.method, r.path, s.adminKey, r.body), http.StatusBadRequest, r.field)
		}
	})
}

// F4: an invitation's role is checked case-insensitively but stored as
// sent: "VIEWER" or "Admin" passes validation, then breaks the database's
// CHECK constraint: 500 on both databases. (It also skips the "only an
// owner can make another owner" check for "Owner", though the constraint
// then stops it.)
func TestFindingInviteRoleCase(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		for i, role := range []string{"VIEWER", "Admin", "Editor"} {
			a := s.raw(t, "POST", "/workspaces/"+s.adminWorkspace+"/members", s.adminKey,
				fmt.Sprintf(`{"email":"case%d-%s@example.com","role":%q}`, i, b.name, role))
			if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"role":"`+strings.ToLower(role)+`"`) {
				t.Errorf("invite with role %q = %d %s, want 201 with role %q", role, a.status, a.body, strings.ToLower(role))
			}
		}
	})
}

// F5: on PostgreSQL, inviting one new e-mail into several workspaces at
// once answers all but one with 409 {"message":"Already exists."}: the
// invitations are valid (the user exists by then) and the message names
// nothing.
func TestFindingConcurrentInvites(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		var wss []string
		for range 6 {
			wss = append(wss, s.newWorkspace(t))
		}
		email := "together-" + b.name + "@example.com"
		answers := make([]answer, len(wss))
		var wg sync.WaitGroup
		for i, ws := range wss {
			wg.Go(func() {
				answers[i] = s.raw(t, "POST", "/workspaces/"+ws+"/members", s.adminKey, `{"email":"`+email+`","role":"viewer"}`)
			})
		}
		wg.Wait()
		for i, a := range answers {
			if a.status != http.StatusCreated {
				t.Errorf("invitation %d of %s at once: %d %s, want 201", i, email, a.status, a.body)
			}
		}
	})
}

// F6: the documented 501 of the AI endpoints (the client's request is fine,
// the feature is not configured) is logged at ERROR level as a failed
// request; an operator's error log fills with what is not a fault.
func TestFinding501LoggedAsError(t *testing.T) {
	t.Parallel()
	s := startServer(t, backends[0], serverOptions{})
	a := s.raw(t, "POST", "/post/ai?workspaceId="+s.adminWorkspace, s.adminKey, `{"prompt":"A launch post for our app"}`)
	wantStatus(t, "POST /post/ai", a, http.StatusNotImplemented)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.stderr.String(), "status=501") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, l := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(l, "status=501") && strings.Contains(l, "level=ERROR") {
			t.Errorf("a 501 is logged as an error: %s", l)
		}
	}
}

// F7: a wrong element type in an array names the array and says "must be a
// string", as if the array itself should be one: {"socialProfileIds":[1]}
// answers "socialProfileIds: must be a string (got number)". It should
// name the element (socialProfileIds[0]) or say "an array of strings".
func TestFindingArrayElementMessage(t *testing.T) {
	t.Parallel()
	s := startServer(t, backends[0], serverOptions{})
	for _, r := range []struct{ path, body, field string }{
		{"/post?workspaceId=" + s.adminWorkspace, `{"caption":"x","socialProfileIds":[1]}`, "socialProfileIds"},
		{"/post?workspaceId=" + s.adminWorkspace, `{"mediaUrls":[true]}`, "mediaUrls"},
		{"/brand-kits?workspaceId=" + s.adminWorkspace, `{"name":"x","colors":[1]}`, "colors"},
	} {
		a := s.raw(t, "POST", r.path, s.adminKey, r.body)
		m := a.message()
		if a.status != http.StatusBadRequest || !(strings.Contains(m, r.field+"[0]") || strings.Contains(m, "array of strings")) {
			t.Errorf("POST %s %s = %d %q, want 400 naming %s[0] or an array of strings", r.path, r.body, a.status, m, r.field)
		}
	}
}

// F8: boolean settings are string flags: `herald serve
// --allow-private-networks` (the way every Go and Unix boolean flag is
// written) fails with "flag needs an argument: -allow-private-networks";
// only --allow-private-networks=true works.
func TestFindingBooleanFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(heraldBin, "serve", "--allow-private-networks", "--addr", "127.0.0.1:0", "--data-dir", dir)
	cmd.Env = cleanEnv()
	dieWithTest(cmd)
	stdout, _ := cmd.StdoutPipe()
	var stderr testbin.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	for !strings.Contains(line, "listening") && line != "" {
		line, _ = bufio.NewReader(stdout).ReadString('\n')
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if err != nil {
		t.Errorf("serve --allow-private-networks: %v\n%s", err, stderr.String())
	}
}

// F9: on PostgreSQL, two `herald init --email E` at the same moment for a
// new e-mail: one created the user, the other failed with "conflict:
// Already exists.: ERROR: duplicate key value violates unique constraint
// users_email_key" instead of adding an API key to the user that now
// exists (found by CI, where two tests set up the same person at once).
func TestFindingConcurrentInit(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		s := startServer(t, b, serverOptions{})
		email := "twice-" + b.name + "@example.com"
		const n = 6
		outs := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				cmd := exec.Command(heraldBin, append([]string{"init", "--json", "--email", email}, s.storageArgs()...)...)
				cmd.Env = cleanEnv()
				var stderr strings.Builder
				cmd.Stderr = &stderr
				outs[i], errs[i] = cmd.Output()
				if errs[i] != nil {
					errs[i] = fmt.Errorf("%w: %s", errs[i], stderr.String())
				}
			})
		}
		wg.Wait()
		users := map[string]bool{}
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Errorf("init %d of %s at once: %v", i, email, errs[i])
				continue
			}
			var a account
			if err := json.Unmarshal(outs[i], &a); err != nil {
				t.Fatalf("init printed %q: %v", outs[i], err)
			}
			users[a.UserID] = true
			if a.Password != nil {
				created++
			}
			// Every printed key works for that user.
			if _, err := s.client(t, a.APIKey).Me(context.Background()); err != nil {
				t.Errorf("init %d: its key: %v", i, err)
			}
		}
		if len(users) != 1 || created != 1 {
			t.Errorf("%d inits of one e-mail: %d users, %d printed a password; want 1 and 1", n, len(users), created)
		}
	})
}
