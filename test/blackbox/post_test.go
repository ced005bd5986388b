package blackbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

func testCreatePost(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	l := s.seedProfile(t, ws, "linkedin", "Acme", "connected")
	broken := s.seedProfile(t, ws, "discord", "old-hook", "needs_reconnect")

	// A draft: Ocoya's answer is {postGroupId}; Herald adds id.
	a := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"Hello 👋 world"}`)
	wantStatus(t, "POST /post draft", a, http.StatusCreated)
	var created map[string]string
	if err := json.Unmarshal(a.body, &created); err != nil || created["postGroupId"] == "" || created["id"] != created["postGroupId"] || len(created) != 2 {
		t.Fatalf("POST /post = %s, want {postGroupId, id} with one value", a.body)
	}
	draft := created["postGroupId"]
	a = s.raw(t, "GET", "/post/"+draft, s.adminKey, "")
	var g map[string]any
	json.Unmarshal(a.body, &g)
	for k, want := range map[string]any{"id": draft, "postType": "REGULAR", "status": "DRAFT", "scheduledAt": nil, "workspaceId": ws} {
		if !cmp.Equal(g[k], want) {
			t.Errorf("GET /post/{draft} %s = %v, want %v", k, g[k], want)
		}
	}
	if !strings.Contains(string(a.body), `"posts":[{"provider":"GENERAL","caption":"Hello 👋 world","creatives":[]}]`) ||
		!strings.Contains(string(a.body), `"socialProfiles":[]`) {
		t.Errorf("GET /post/{draft} = %s, want one GENERAL entry with no creatives and no socialProfiles", a.body)
	}

	// A scheduled post to two networks, with two images Herald downloads.
	at := future(72 * time.Hour)
	p := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "Launch day", MediaURLs: []string{mediaBase + "/a.png", mediaBase + "/b.jpg"},
		SocialProfileIDs: []string{m, l}, ScheduledAt: &at}))(t)
	if p.PostGroupID == "" || p.ID != p.PostGroupID {
		t.Fatalf("CreatePost = %+v", p)
	}
	got := check(c.GetPost(ctx, p.ID))(t)
	if len(got.Posts) == 0 || len(got.Posts[0].Creatives) != 2 {
		t.Fatalf("GetPost = %+v, want two creatives", got)
	}
	// Creatives point at Herald's own copies of the media.
	creatives := got.Posts[0].Creatives
	for i, cr := range creatives {
		if cr.Video != "" || !strings.HasPrefix(cr.Image, s.root+"/") {
			t.Errorf("creative %d = %+v, want an image served by %s", i, cr, s.root)
			continue
		}
		wantMedia(t, cr.Image, []string{"image/png", "image/jpeg"}[i])
	}
	wantPosts := []client.PostEntry{{Provider: "GENERAL", Caption: "Launch day", Creatives: creatives}, {Provider: "MASTODON", Caption: "Launch day", Creatives: creatives}, {Provider: "LINKEDIN", Caption: "Launch day", Creatives: creatives}}
	if got.Status != client.StatusScheduled || got.ScheduledAt == nil || !got.ScheduledAt.Equal(at) || got.PostType != "REGULAR" || got.WorkspaceID != ws {
		t.Errorf("GetPost = %+v, want SCHEDULED at %v", got, at)
	}
	// GENERAL comes first; the order of the networks and of the targets
	// is not part of the contract.
	if len(got.Posts) == 0 || got.Posts[0].Provider != "GENERAL" {
		t.Errorf("posts = %+v, want GENERAL first", got.Posts)
	}
	byProvider := cmpopts.SortSlices(func(a, b client.PostEntry) bool { return a.Provider < b.Provider })
	if diff := cmp.Diff(wantPosts, got.Posts, byProvider); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	var refs []client.ProfileRef
	for _, tg := range got.SocialProfiles {
		refs = append(refs, tg.SocialProfile)
		if tg.State != "scheduled" || tg.Late || tg.Attempts != 0 || tg.ErrorMessage != nil || tg.PublishedURL != nil {
			t.Errorf("target %+v, want scheduled, not late, no attempts", tg)
		}
	}
	wantRefs := []client.ProfileRef{{ID: m, Provider: "mastodon", Name: "alice", Image: "https://img.example/alice.png"}, {ID: l, Provider: "linkedin", Name: "Acme", Image: "https://img.example/Acme.png"}}
	if diff := cmp.Diff(wantRefs, refs, cmpopts.SortSlices(func(a, b client.ProfileRef) bool { return a.ID < b.ID })); diff != "" {
		t.Errorf("socialProfiles (-want +got):\n%s", diff)
	}
	a = s.raw(t, "GET", "/post/"+p.ID, s.adminKey, "")
	if want := `"scheduledAt":"` + at.Format("2006-01-02T15:04:05") + `.000Z"`; !strings.Contains(string(a.body), want) {
		t.Errorf("GET /post/{id} = %s, want %s", a.body, want)
	}

	// Dates: fractional seconds and offsets are accepted, written in UTC
	// with milliseconds.
	y := strconv.Itoa(time.Now().Year() + 1)
	for _, tt := range []struct{ in, want string }{
		{y + "-03-04T05:06:07Z", y + "-03-04T05:06:07.000Z"},
		{y + "-03-04T05:06:07.123Z", y + "-03-04T05:06:07.123Z"},
		{y + "-03-04T05:06:07.1Z", y + "-03-04T05:06:07.100Z"},
		{y + "-03-04T05:06:07.123456789Z", y + "-03-04T05:06:07.123Z"},
		{y + "-03-04T07:06:07+02:00", y + "-03-04T05:06:07.000Z"},
		{y + "-03-04T00:36:07.5-04:30", y + "-03-04T05:06:07.500Z"},
		{y + "-03-04t05:06:07z", y + "-03-04T05:06:07.000Z"},
	} {
		t.Run("scheduledAt "+tt.in, func(t *testing.T) {
			t.Parallel()
			a := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, fmt.Sprintf(`{"caption":"dates","socialProfileIds":[%q],"scheduledAt":%q}`, m, tt.in))
			wantStatus(t, "POST /post", a, http.StatusCreated)
			var cp client.CreatedPost
			json.Unmarshal(a.body, &cp)
			a = s.raw(t, "GET", "/post/"+cp.ID, s.adminKey, "")
			if !strings.Contains(string(a.body), `"scheduledAt":"`+tt.want+`"`) {
				t.Errorf("GET /post/{id} = %s, want scheduledAt %s", a.body, tt.want)
			}
		})
	}

	// Media without a caption; a caption of exactly 10,000 characters; a
	// profile that needs reconnecting in a draft.
	for _, in := range []client.PostInput{
		{MediaURLs: []string{mediaBase + "/c.gif"}},
		{Caption: "a video", MediaURLs: []string{mediaBase + "/v.mp4"}},
		{Caption: strings.Repeat("é", 10000)},
		{Caption: "draft to a broken profile", SocialProfileIDs: []string{broken}},
		{Caption: "explicit null", ScheduledAt: nil},
	} {
		p := check(c.CreatePost(ctx, ws, in))(t)
		g := check(c.GetPost(ctx, p.ID))(t)
		if g.Status != client.StatusDraft || g.Posts[0].Caption != in.Caption || len(g.Posts[0].Creatives) != len(in.MediaURLs) {
			t.Errorf("post of %+v = %+v, want a draft with its caption and media", in, g)
		}
		for _, cr := range g.Posts[0].Creatives {
			switch {
			case strings.HasSuffix(in.MediaURLs[0], ".mp4") && cr.Video != "":
				wantMedia(t, cr.Video, "video/mp4")
			case strings.HasSuffix(in.MediaURLs[0], ".gif") && cr.Image != "":
				wantMedia(t, cr.Image, "image/gif")
			default:
				t.Errorf("creative %+v for %s", cr, in.MediaURLs[0])
			}
		}
	}
	a = s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"null date","scheduledAt":null,"mediaUrls":null,"socialProfileIds":null}`)
	wantStatus(t, "POST /post with nulls", a, http.StatusCreated)
	a = s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"charset"}`, "Content-Type", "application/json; charset=utf-8")
	wantStatus(t, "POST /post with a charset", a, http.StatusCreated)
	a = s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"no content type"}`, "Content-Type", "")
	wantStatus(t, "POST /post without Content-Type", a, http.StatusCreated)
	// curl -d labels its body a form, fetch without a Content-Type text:
	// a JSON body is read as JSON whatever its label.
	a = s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"curl -d"}`, "Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, "POST /post with JSON labelled as a form", a, http.StatusCreated)
	a = s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"fetch"}`, "Content-Type", "text/plain;charset=UTF-8")
	wantStatus(t, "POST /post with JSON labelled as text", a, http.StatusCreated)
}

// postErrorCases are bodies POST /post refuses; POST /post/validate must
// refuse them the same way.
func postErrorCases(s *server, t *testing.T) (ws string, cases []postErrorCase) {
	t.Helper()
	ws = s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	broken := s.seedProfile(t, ws, "slack", "old-hook", "needs_reconnect")
	other := s.newWorkspace(t)
	foreign := s.seedProfile(t, other, "mastodon", "bob", "connected")
	stranger := s.initUser(t, "post-errors-"+s.name+"@example.com")
	strangers := s.seedProfile(t, stranger.WorkspaceID, "mastodon", "eve", "connected")
	at := future(48 * time.Hour).Format(time.RFC3339)
	y := strconv.Itoa(time.Now().Year() + 1)
	body := func(scheduledAt string, ids ...string) string {
		b, _ := json.Marshal(map[string]any{"caption": "x", "socialProfileIds": ids, "scheduledAt": scheduledAt})
		return string(b)
	}
	q := "?workspaceId=" + ws
	return ws, []postErrorCase{
		pe("bad JSON", q, `{"caption":`, 400, "body"),
		pe("JSON syntax error", q, `{"caption":"x",}`, 400, "body"),
		pe("array", q, `[{"caption":"x"}]`, 400, "body"),
		pe("string", q, `"caption"`, 400, "body"),
		pe("number", q, `5`, 400, "body"),
		pe("empty body", q, ``, 400, "body"),
		pe("trailing data", q, `{"caption":"x"} {"caption":"y"}`, 400, "body"),
		pe("caption a number", q, `{"caption":5}`, 400, "caption"),
		pe("caption an array", q, `{"caption":["x"]}`, 400, "caption"),
		pe("mediaUrls a string", q, `{"mediaUrls":"`+mediaBase+`/a.png"}`, 400, "mediaUrls"),
		pe("mediaUrls of numbers", q, `{"mediaUrls":[1]}`, 400, "mediaUrls"),
		pe("socialProfileIds a string", q, `{"caption":"x","socialProfileIds":"abc"}`, 400, "socialProfileIds"),
		pe("socialProfileIds an object", q, `{"caption":"x","socialProfileIds":{"a":1}}`, 400, "socialProfileIds"),
		pe("scheduledAt a number", q, `{"caption":"x","scheduledAt":1767225600}`, 400, "scheduledAt"),
		pe("scheduledAt a bool", q, `{"caption":"x","scheduledAt":true}`, 400, "scheduledAt"),
		pe("scheduledAt an object", q, `{"caption":"x","scheduledAt":{}}`, 400, "scheduledAt"),
		pe("unknown field", q, `{"caption":"x","title":"y"}`, 400, "title"),
		pe("nothing to post", q, `{}`, 400, "caption"),
		pe("null body", q, `null`, 400, "caption"),
		pe("blank caption", q, `{"caption":"  \n "}`, 400, "caption"),
		pe("caption too long", q, `{"caption":"`+strings.Repeat("a", 10001)+`"}`, 400, "caption"),
		pe("media URL not http", q, `{"mediaUrls":["ftp://cdn.example/a.png"]}`, 400, "mediaUrls[0]"),
		pe("media URL relative", q, `{"caption":"x","mediaUrls":["`+mediaBase+`/a.png","/b.png"]}`, 400, "mediaUrls[1]"),
		pe("media not found", q, `{"caption":"x","mediaUrls":["`+mediaBase+`/missing.png"]}`, 400, "mediaUrls[0]", "404"),
		pe("media not an image", q, `{"caption":"x","mediaUrls":["`+mediaBase+`/a.png","`+mediaBase+`/text.png"]}`, 400, "mediaUrls[1]"),
		pe("date without zone", q, body(y+"-07-01T09:00:00", m), 400, "scheduledAt", "zone"),
		pe("date only", q, body(y+"-07-01", m), 400, "scheduledAt"),
		pe("garbage date", q, body("next tuesday", m), 400, "scheduledAt"),
		pe("empty date", q, body("", m), 400, "scheduledAt"),
		pe("impossible date", q, body(y+"-02-30T09:00:00Z", m), 400, "scheduledAt"),
		pe("unix time string", q, body("1767225600", m), 400, "scheduledAt"),
		pe("past date", q, body("2020-01-01T00:00:00Z", m), 400, "scheduledAt", "past"),
		pe("ten minutes ago", q, body(time.Now().Add(-10*time.Minute).UTC().Format(time.RFC3339), m), 400, "scheduledAt", "past", "publish now"),
		pe("too far ahead", q, body(strconv.Itoa(time.Now().Year()+20)+"-01-01T00:00:00Z", m), 400, "scheduledAt"),
		pe("scheduled without profiles", q, body(at), 400, "socialProfileIds"),
		pe("scheduled to a broken profile", q, body(at, broken), 400, "socialProfileIds[0]"),
		pe("same profile twice", q, body(at, m, m), 400, "socialProfileIds[1]"),
		pe("profile of another workspace", q, body(at, foreign), 404, "socialProfileIds[0]"),
		pe("profile of another user", q, body(at, m, strangers), 404, "socialProfileIds[1]"),
		pe("draft to another user's profile", q, `{"caption":"x","socialProfileIds":["`+strangers+`"]}`, 404, "socialProfileIds[0]"),
		pe("unknown profile", q, body(at, "cxxxxxxxxxxxxxxxxxxxxxxxx"), 404, "socialProfileIds[0]"),
		pe("odd profile id", q, body(at, "../../x"), 404, "socialProfileIds[0]"),
		pe("empty profile id", q, body(at, ""), 404, "socialProfileIds[0]"),
		pe("missing workspaceId", "", `{"caption":"x"}`, 400, "workspaceId"),
		pe("another user's workspace", "?workspaceId="+stranger.WorkspaceID, `{"caption":"x"}`, 404, ""),
		pe("unknown workspace", "?workspaceId=cxxxxxxxxxxxxxxxxxxxxxxxx", `{"caption":"x"}`, 404, ""),
		{name: "text that is not JSON", query: q, body: `caption x`, status: 415, subs: []string{"Content-Type", "application/json"}, header: []string{"Content-Type", "text/plain"}},
		{name: "a form", query: q, body: `caption=x`, status: 415, subs: []string{"Content-Type", "application/json"}, header: []string{"Content-Type", "application/x-www-form-urlencoded"}},
	}
}

// stamps matches times in messages ("it is now ..."), which differ
// between two answers.
var stamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z`)

// postErrorCase is a request POST /post refuses: status, and what the
// message must name.
type postErrorCase struct {
	name, query, body string
	status            int
	subs              []string
	header            []string
}

func pe(name, query, body string, status int, subs ...string) postErrorCase {
	return postErrorCase{name: name, query: query, body: body, status: status, subs: subs}
}

func testPostErrors(t *testing.T, s *server) {
	ws, cases := postErrorCases(s, t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, "POST /post "+tt.body, s.raw(t, "POST", "/post"+tt.query, s.adminKey, tt.body, tt.header...), tt.status, tt.subs...)
		})
	}
	t.Cleanup(func() {
		// Nothing was stored.
		if ps := check(s.admin(t).ListPosts(context.Background(), ws, client.ListPostsOptions{}))(t); len(ps) != 0 {
			t.Errorf("after refused posts ListPosts = %+v, want none", ps)
		}
	})
}

func testValidatePost(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws, cases := postErrorCases(s, t)
	m := s.seedProfile(t, ws, "bluesky", "carol.bsky.social", "connected")

	a := s.raw(t, "POST", "/post/validate?workspaceId="+ws, s.adminKey, `{"caption":"draft"}`)
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != `{"valid":true,"status":"DRAFT","targets":[]}` {
		t.Errorf("validate a draft = %d %s", a.status, a.body)
	}
	at := future(24 * time.Hour)
	chk := check(c.ValidatePost(ctx, ws, client.PostInput{Caption: "Hi 👋🏽 there", SocialProfileIDs: []string{m}, ScheduledAt: &at}))(t)
	want := &client.PostCheck{Valid: true, Status: client.StatusScheduled, Targets: []client.TargetCheck{{SocialProfileID: m, Provider: "bluesky", Name: "carol.bsky.social", Characters: 10, MaxCharacters: 300}}} // graphemes, as Bluesky counts
	if diff := cmp.Diff(want, chk); diff != "" {
		t.Errorf("ValidatePost (-want +got):\n%s", diff)
	}

	// Every body POST /post refuses gets the same answer here.
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// POST /post refuses them too (testPostErrors), so comparing
			// with it creates nothing.
			v := s.raw(t, "POST", "/post/validate"+tt.query, s.adminKey, tt.body, tt.header...)
			p := s.raw(t, "POST", "/post"+tt.query, s.adminKey, tt.body, tt.header...)
			wantStatus(t, "POST /post/validate "+tt.body, v, tt.status, tt.subs...)
			if v.status != p.status || stamps.ReplaceAllString(v.message(), "T") != stamps.ReplaceAllString(p.message(), "T") {
				t.Errorf("validate answered %d %q, POST /post %d %q", v.status, v.message(), p.status, p.message())
			}
		})
	}
	t.Cleanup(func() {
		if ps := check(c.ListPosts(context.Background(), ws, client.ListPostsOptions{}))(t); len(ps) != 0 {
			t.Errorf("after validating, ListPosts = %+v, want nothing stored", ps)
		}
	})
}

func testListPosts(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")

	const drafts, scheduled = 55, 3
	all := map[string]bool{}
	for i := range drafts {
		all[check(c.CreatePost(ctx, ws, client.PostInput{Caption: fmt.Sprintf("draft %02d", i)}))(t).ID] = true
	}
	var sched []string
	for i := range scheduled {
		at := future(time.Duration(i+1) * time.Hour)
		id := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "scheduled", SocialProfileIDs: []string{m}, ScheduledAt: &at}))(t).ID
		all[id] = true
		sched = append(sched, id)
	}
	total := drafts + scheduled

	list := func(t *testing.T, query string) []client.PostGroup {
		t.Helper()
		a := s.raw(t, "GET", "/post?workspaceId="+ws+query, s.adminKey, "")
		if a.status != http.StatusOK || !strings.HasPrefix(string(a.body), "[") {
			t.Fatalf("GET /post%s = %d %.200s, want a bare array", query, a.status, a.body)
		}
		var ps []client.PostGroup
		if err := json.Unmarshal(a.body, &ps); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(ps); i++ {
			if ps[i].CreatedAt.After(ps[i-1].CreatedAt) {
				t.Errorf("GET /post%s: not newest first at %d", query, i)
			}
		}
		return ps
	}
	ids := func(ps []client.PostGroup) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}

	for _, tt := range []struct {
		query string
		n     int
	}{
		{"", 10},
		{"&page=0", 10},
		{"&perPage=5", 5},
		{"&perPage=1", 1},
		{"&perPage=50", 50},
		{"&perPage=51", 50},
		{"&perPage=1000", 50},
		{"&perPage=50&page=1", total - 50},
		{"&page=5", total - 50},
		{"&page=6", 0},
		{"&page=1000", 0},
		{"&statuses=SCHEDULED", scheduled},
		{"&statuses=scheduled", scheduled},
		{"&statuses=Scheduled", scheduled},
		{"&statuses=DRAFT&perPage=50", 50},
		{"&statuses=DRAFT&perPage=50&page=1", drafts - 50},
		{"&statuses=DRAFT,SCHEDULED&perPage=50&page=1", total - 50},
		{"&statuses=DRAFT&statuses=SCHEDULED&perPage=50&page=1", total - 50},
		{"&statuses=draft,%20scheduled&perPage=50&page=1", total - 50},
		{"&statuses=SCHEDULED,SCHEDULED", scheduled},
		{"&statuses=POSTED", 0},
		{"&statuses=ERROR,NEEDS_ATTENTION,PENDING_CLIENT_APPROVAL,PENDING_INTERNAL_APPROVAL", 0},
		{"&statuses=", 10},
	} {
		t.Run("query "+tt.query, func(t *testing.T) {
			t.Parallel()
			if ps := list(t, tt.query); len(ps) != tt.n {
				t.Errorf("GET /post%s: %d post groups, want %d", tt.query, len(ps), tt.n)
			}
		})
	}

	t.Run("filtered", func(t *testing.T) {
		t.Parallel()
		got := ids(list(t, "&statuses=scheduled"))
		slices.Sort(got)
		want := slices.Clone(sched)
		slices.Sort(want)
		if !cmp.Equal(got, want) {
			t.Errorf("scheduled = %v, want %v", got, want)
		}
		for _, p := range list(t, "&statuses=DRAFT&perPage=50") {
			if p.Status != client.StatusDraft || p.ScheduledAt != nil {
				t.Errorf("statuses=DRAFT listed %+v", p)
			}
		}
	})

	t.Run("pages cover every post once", func(t *testing.T) {
		t.Parallel()
		seen := map[string]int{}
		for page := 0; ; page++ {
			ps := list(t, "&perPage=7&page="+strconv.Itoa(page))
			for _, id := range ids(ps) {
				seen[id]++
			}
			if len(ps) < 7 {
				break
			}
		}
		if len(seen) != total {
			t.Errorf("pages of 7 held %d distinct posts, want %d", len(seen), total)
		}
		for id, n := range seen {
			if n != 1 || !all[id] {
				t.Errorf("post %s listed %d times (ours: %v)", id, n, all[id])
			}
		}
		first := list(t, "&perPage=3")
		if !cmp.Equal(ids(first), ids(list(t, "&perPage=10"))[:3]) {
			t.Error("the first 3 posts differ between perPage=3 and perPage=10")
		}
	})

	t.Run("client", func(t *testing.T) {
		t.Parallel()
		ps := check(c.ListPosts(ctx, ws, client.ListPostsOptions{Statuses: []string{"scheduled", "DRAFT"}, Page: 1, PerPage: 20}))(t)
		if len(ps) != 20 {
			t.Errorf("ListPosts page 1 of 20 = %d posts", len(ps))
		}
		for _, p := range ps {
			if p.PostType != "REGULAR" || len(p.Posts) == 0 || p.Posts[0].Provider != "GENERAL" || p.SocialProfiles == nil {
				t.Errorf("post group %+v lacks Ocoya's shape", p)
			}
		}
	})
}

func testListPostsErrors(t *testing.T, s *server) {
	ws := s.newWorkspace(t)
	stranger := s.initUser(t, "list-"+s.name+"@example.com")
	for _, tt := range []struct {
		query  string
		status int
		field  string
	}{
		{"&statuses=FOO", 400, "statuses"},
		{"&statuses=DRAFT,FOO", 400, "statuses"},
		{"&statuses=DRAFT&statuses=PUBLISHED", 400, "statuses"},
		{"&perPage=0", 400, "perPage"},
		{"&perPage=-5", 400, "perPage"},
		{"&perPage=1.5", 400, "perPage"},
		{"&perPage=ten", 400, "perPage"},
		{"&perPage=", 200, ""},
		{"&page=-1", 400, "page"},
		{"&page=x", 400, "page"},
		{"&page=1e3", 400, "page"},
		{"&page=99999999999999999999", 400, "page"},
		{"&page=999999999999", 400, "page"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, "GET /post"+tt.query, s.raw(t, "GET", "/post?workspaceId="+ws+tt.query, s.adminKey, ""), tt.status, tt.field)
		})
	}
	wantStatus(t, "without workspace", s.raw(t, "GET", "/post", s.adminKey, ""), 400, "workspaceId")
	wantStatus(t, "another user's workspace", s.raw(t, "GET", "/post?workspaceId="+stranger.WorkspaceID, s.adminKey, ""), 404)
}

func testUpdatePost(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	l := s.seedProfile(t, ws, "linkedin", "Acme", "connected")

	// Schedule a draft that has a target.
	p := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "to schedule", SocialProfileIDs: []string{m}}))(t)
	at := future(30 * time.Hour)
	a := s.raw(t, "PATCH", "/post/"+p.ID, s.adminKey, `{"scheduledAt":"`+at.Format(time.RFC3339)+`"}`)
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "{}" {
		t.Errorf("PATCH scheduledAt = %d %s, want 200 {}", a.status, a.body)
	}
	g := check(c.GetPost(ctx, p.ID))(t)
	if g.Status != client.StatusScheduled || g.ScheduledAt == nil || !g.ScheduledAt.Equal(at) || g.SocialProfiles[0].State != "scheduled" {
		t.Errorf("after scheduling: %+v, want SCHEDULED at %v", g, at)
	}

	// Reschedule, with an offset.
	at2 := future(50 * time.Hour)
	noErr(t, c.UpdatePost(ctx, p.ID, client.PostPatch{ScheduledAt: ptr(at2.In(time.FixedZone("", -7*3600)))}))
	if g := check(c.GetPost(ctx, p.ID))(t); g.Status != client.StatusScheduled || !g.ScheduledAt.Equal(at2) {
		t.Errorf("after rescheduling: %+v, want SCHEDULED at %v", g, at2)
	}
	// With workspaceId, which routes by post id accept.
	noErr(t, c.UpdatePost(ctx, p.ID, client.PostPatch{ScheduledAt: &at}, client.WithWorkspace(ws)))

	// null turns it back into a draft.
	a = s.raw(t, "PATCH", "/post/"+p.ID, s.adminKey, `{"scheduledAt":null}`)
	wantStatus(t, "PATCH null", a, http.StatusOK)
	g = check(c.GetPost(ctx, p.ID))(t)
	if g.Status != client.StatusDraft || g.ScheduledAt != nil || g.SocialProfiles[0].State != "draft" {
		t.Errorf("after scheduledAt null: %+v, want a DRAFT with no time", g)
	}
	if a := s.raw(t, "GET", "/post/"+p.ID, s.adminKey, ""); !strings.Contains(string(a.body), `"scheduledAt":null`) {
		t.Errorf("GET after null = %s, want scheduledAt null", a.body)
	}

	// An empty patch changes nothing.
	noErr(t, c.UpdatePost(ctx, p.ID, client.PostPatch{}))
	if g2 := check(c.GetPost(ctx, p.ID))(t); g2.Status != client.StatusDraft || g2.Posts[0].Caption != "to schedule" {
		t.Errorf("after {}: %+v", g2)
	}

	// Herald's extensions: caption, media and profiles.
	noErr(t, c.UpdatePost(ctx, p.ID, client.PostPatch{Caption: ptr("new words"), MediaURLs: &[]string{mediaBase + "/a.png"}, SocialProfileIDs: &[]string{l, m}, ScheduledAt: &at2}))
	g = check(c.GetPost(ctx, p.ID))(t)
	if cr := g.Posts[0].Creatives; len(cr) != 1 || cr[0].Image == "" {
		t.Fatalf("after patching mediaUrls: creatives %+v, want one image", cr)
	}
	wantMedia(t, g.Posts[0].Creatives[0].Image, "image/png")
	wantPosts := []client.PostEntry{{Provider: "GENERAL", Caption: "new words", Creatives: g.Posts[0].Creatives}}
	var targets []string
	for _, tg := range g.SocialProfiles {
		targets = append(targets, tg.SocialProfile.ID)
		if tg.State != "scheduled" {
			t.Errorf("target %s state %s, want scheduled", tg.SocialProfile.ID, tg.State)
		}
	}
	slices.Sort(targets)
	wantTargets := []string{l, m}
	slices.Sort(wantTargets)
	if g.Status != client.StatusScheduled || !cmp.Equal(g.Posts[:1], wantPosts) || !cmp.Equal(targets, wantTargets) || len(g.Posts) != 3 {
		t.Errorf("after the extension patch: %+v", g)
	}
	noErr(t, c.UpdatePost(ctx, p.ID, client.PostPatch{SocialProfileIDs: &[]string{l}}))
	if g := check(c.GetPost(ctx, p.ID))(t); len(g.SocialProfiles) != 1 || g.SocialProfiles[0].SocialProfile.ID != l || len(g.Posts) != 2 || g.Posts[1].Provider != "LINKEDIN" {
		t.Errorf("after dropping a profile: %+v, want only %s", g, l)
	}

	// A post being published, or published, cannot be changed (409).
	for _, state := range []string{"publishing", "processing", "published"} {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			at := future(5 * time.Hour)
			p := check(c.CreatePost(ctx, ws, client.PostInput{Caption: state, SocialProfileIDs: []string{m}, ScheduledAt: &at}))(t)
			s.setTargetStates(t, p.ID, herald.TargetState(state))
			for _, patch := range []client.PostPatch{{ScheduledAt: ptr(future(9 * time.Hour))}, {Unschedule: true}, {Caption: ptr("late edit")}} {
				wantAPIError(t, c.UpdatePost(ctx, p.ID, patch), http.StatusConflict, p.ID)
			}
			err := c.DeletePost(ctx, p.ID)
			if state == "published" {
				// Deleting a published post forgets it in Herald.
				if err != nil {
					t.Errorf("DeletePost of a published post: %v", err)
				}
				return
			}
			wantAPIError(t, err, http.StatusConflict, p.ID)
			if g := check(c.GetPost(ctx, p.ID))(t); g.Posts[0].Caption != state || !g.ScheduledAt.Equal(at) {
				t.Errorf("after refused changes: %+v", g)
			}
		})
	}
}

func testUpdatePostErrors(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	broken := s.seedProfile(t, ws, "telegram", "chan", "needs_reconnect")
	other := s.newWorkspace(t)
	foreign := s.seedProfile(t, other, "mastodon", "bob", "connected")
	at := future(20 * time.Hour)
	p := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "keep me", SocialProfileIDs: []string{m}, ScheduledAt: &at}))(t)
	draft := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "no targets"}))(t)
	y := strconv.Itoa(time.Now().Year() + 1)

	for _, tt := range []struct {
		name, id, body string
		status         int
		subs           []string
	}{
		{"bad JSON", p.ID, `{"scheduledAt":`, 400, []string{"body"}},
		{"empty body", p.ID, ``, 400, []string{"body"}},
		{"array", p.ID, `[]`, 400, []string{"body"}},
		{"unknown field", p.ID, `{"status":"DRAFT"}`, 400, []string{"status"}},
		{"scheduledAt a number", p.ID, `{"scheduledAt":5}`, 400, []string{"scheduledAt"}},
		{"scheduledAt without zone", p.ID, `{"scheduledAt":"` + y + `-07-01T09:00:00"}`, 400, []string{"scheduledAt", "zone"}},
		{"scheduledAt garbage", p.ID, `{"scheduledAt":"soon"}`, 400, []string{"scheduledAt"}},
		{"scheduledAt empty", p.ID, `{"scheduledAt":""}`, 400, []string{"scheduledAt"}},
		{"scheduledAt in the past", p.ID, `{"scheduledAt":"2020-01-01T00:00:00Z"}`, 400, []string{"scheduledAt", "past"}},
		{"scheduledAt too far", p.ID, `{"scheduledAt":"` + strconv.Itoa(time.Now().Year()+20) + `-01-01T00:00:00Z"}`, 400, []string{"scheduledAt"}},
		{"schedule without targets", draft.ID, `{"scheduledAt":"` + at.Format(time.RFC3339) + `"}`, 400, []string{"socialProfileIds"}},
		{"blank caption", p.ID, `{"caption":""}`, 400, []string{"caption"}},
		{"caption too long", p.ID, `{"caption":"` + strings.Repeat("c", 10001) + `"}`, 400, []string{"caption"}},
		{"caption a number", p.ID, `{"caption":1}`, 400, []string{"caption"}},
		{"bad media URL", p.ID, `{"mediaUrls":["file:///etc/passwd"]}`, 400, []string{"mediaUrls[0]"}},
		{"no profiles while scheduled", p.ID, `{"socialProfileIds":[]}`, 400, []string{"socialProfileIds"}},
		{"profile of another workspace", p.ID, `{"socialProfileIds":["` + foreign + `"]}`, 404, []string{"socialProfileIds[0]"}},
		{"broken profile while scheduled", p.ID, `{"socialProfileIds":["` + broken + `"]}`, 400, []string{"socialProfileIds"}},
		{"unknown post", "cxxxxxxxxxxxxxxxxxxxxxxxx", `{"scheduledAt":null}`, 404, nil},
		{"post in another workspace", p.ID + "?workspaceId=" + other, `{"scheduledAt":null}`, 404, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, "PATCH "+tt.body, s.raw(t, "PATCH", "/post/"+tt.id, s.adminKey, tt.body), tt.status, tt.subs...)
		})
	}
	t.Cleanup(func() {
		g := check(c.GetPost(context.Background(), p.ID))(t)
		if g.Status != client.StatusScheduled || !g.ScheduledAt.Equal(at) || g.Posts[0].Caption != "keep me" || len(g.SocialProfiles) != 1 || g.SocialProfiles[0].SocialProfile.ID != m {
			t.Errorf("after refused patches the post is %+v", g)
		}
	})
}

func testDeletePost(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	at := future(10 * time.Hour)
	keep := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "keep"}))(t)
	draft := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "draft"}))(t)
	sched := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "scheduled", SocialProfileIDs: []string{m}, ScheduledAt: &at}))(t)

	a := s.raw(t, "DELETE", "/post/"+draft.ID, s.adminKey, "")
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "{}" {
		t.Errorf("DELETE /post/{draft} = %d %s, want 200 {}", a.status, a.body)
	}
	noErr(t, c.DeletePost(ctx, sched.ID, client.WithWorkspace(ws)))
	for _, id := range []string{draft.ID, sched.ID} {
		_, err := c.GetPost(ctx, id)
		wantAPIError(t, err, http.StatusNotFound, id)
		wantAPIError(t, c.DeletePost(ctx, id), http.StatusNotFound)
		wantAPIError(t, c.UpdatePost(ctx, id, client.PostPatch{Unschedule: true}), http.StatusNotFound)
	}
	if ps := check(c.ListPosts(ctx, ws, client.ListPostsOptions{}))(t); len(ps) != 1 || ps[0].ID != keep.ID {
		t.Errorf("after deleting ListPosts = %+v, want only %s", ps, keep.ID)
	}
	// A workspaceId the post is not in: not found, and the post stays.
	other := s.newWorkspace(t)
	wantAPIError(t, c.DeletePost(ctx, keep.ID, client.WithWorkspace(other)), http.StatusNotFound)
	check(c.GetPost(ctx, keep.ID))(t)
}

// testForeignIDs checks that ids of another user's workspace answer 404,
// exactly as ids that do not exist, so that they reveal nothing.
func testForeignIDs(t *testing.T, s *server) {
	ctx := t.Context()
	ws := s.newWorkspace(t)
	stranger := s.initUser(t, "foreign-"+s.name+"@example.com")
	sc := s.client(t, stranger.APIKey)
	sp := s.seedProfile(t, stranger.WorkspaceID, "mastodon", "eve", "connected")
	at := future(8 * time.Hour)
	post := check(sc.CreatePost(ctx, stranger.WorkspaceID, client.PostInput{Caption: "theirs", SocialProfileIDs: []string{sp}, ScheduledAt: &at}))(t)
	kit := check(sc.CreateBrandKit(ctx, stranger.WorkspaceID, client.BrandKitInput{Name: "theirs"}))(t)
	const unknown = "cxxxxxxxxxxxxxxxxxxxxxxxx"

	// same checks that a request naming a foreign id answers as the same
	// request naming an unknown id.
	same := func(t *testing.T, method, path, body, id string) {
		t.Helper()
		f := s.raw(t, method, path, s.adminKey, body)
		u := s.raw(t, method, strings.ReplaceAll(path, id, unknown), s.adminKey, strings.ReplaceAll(body, id, unknown))
		wantStatus(t, method+" "+path, f, http.StatusNotFound)
		if strings.ReplaceAll(f.message(), id, unknown) != u.message() || f.status != u.status {
			t.Errorf("%s %s: a foreign id answers %d %q, an unknown one %d %q", method, path, f.status, f.message(), u.status, u.message())
		}
	}
	same(t, "GET", "/post/"+post.ID, "", post.ID)
	same(t, "PATCH", "/post/"+post.ID, `{"scheduledAt":null}`, post.ID)
	same(t, "DELETE", "/post/"+post.ID, "", post.ID)
	same(t, "GET", "/post/"+post.ID+"?workspaceId="+ws, "", post.ID)
	same(t, "GET", "/brand-kits/"+kit.ID+"?workspaceId="+ws, "", kit.ID)
	same(t, "PATCH", "/brand-kits/"+kit.ID+"?workspaceId="+ws, `{"name":"mine"}`, kit.ID)
	same(t, "GET", "/post?workspaceId="+stranger.WorkspaceID, "", stranger.WorkspaceID)
	same(t, "GET", "/brand-kits?workspaceId="+stranger.WorkspaceID, "", stranger.WorkspaceID)
	same(t, "GET", "/social-profiles?workspaceId="+stranger.WorkspaceID, "", stranger.WorkspaceID)
	same(t, "POST", "/post?workspaceId="+ws, fmt.Sprintf(`{"caption":"x","socialProfileIds":[%q]}`, sp), sp)
	same(t, "POST", "/post/validate?workspaceId="+ws, fmt.Sprintf(`{"caption":"x","socialProfileIds":[%q]}`, sp), sp)
	same(t, "GET", "/brand-kits/"+kit.ID+"?workspaceId="+stranger.WorkspaceID, "", stranger.WorkspaceID)

	// Their post is untouched.
	if g := check(sc.GetPost(ctx, post.ID))(t); g.Status != client.StatusScheduled || g.Posts[0].Caption != "theirs" {
		t.Errorf("the stranger's post is now %+v", g)
	}
}

// testPublishAndRetry covers POST /post/{id}/publish and /retry on feed
// profiles, which publish without any outside server. Whether the post is
// still queued or already published when the test looks depends on the
// publishing engine; both are accepted.
func testPublishAndRetry(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	feed := check(c.ConnectProfile(ctx, ws, client.ProfileCredentials{Provider: "feed", Name: "Releases"}))(t)
	queued := []string{"scheduled", "publishing", "processing", "published"}

	draft := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "now", SocialProfileIDs: []string{feed.ID}}))(t)
	a := s.raw(t, "POST", "/post/"+draft.ID+"/publish", s.adminKey, "")
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "{}" {
		t.Errorf("publish = %d %s, want 200 {}", a.status, a.body)
	}
	g := check(c.GetPost(ctx, draft.ID))(t)
	if g.Status != client.StatusScheduled && g.Status != client.StatusPosted || g.ScheduledAt == nil || g.ScheduledAt.After(time.Now().Add(time.Minute)) ||
		!slices.Contains(queued, g.SocialProfiles[0].State) {
		t.Errorf("after publish now: %+v, want SCHEDULED for now (or POSTED)", g)
	}

	empty := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "nowhere"}))(t)
	wantAPIError(t, c.PublishPost(ctx, empty.ID), http.StatusBadRequest, "socialProfileIds")
	wantAPIError(t, c.PublishPost(ctx, "cxxxxxxxxxxxxxxxxxxxxxxxx"), http.StatusNotFound)
	wantAPIError(t, c.PublishPost(ctx, draft.ID, client.WithWorkspace(s.newWorkspace(t))), http.StatusNotFound)
	stranger := s.initUser(t, "publish-"+s.name+"@example.com")
	wantAPIError(t, s.client(t, stranger.APIKey).PublishPost(ctx, draft.ID), http.StatusNotFound)
	wantAPIError(t, s.client(t, stranger.APIKey).RetryPost(ctx, draft.ID, true), http.StatusNotFound)

	// Retry takes failed and needs_attention targets only.
	at := future(7 * time.Hour)
	sched := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "later", SocialProfileIDs: []string{feed.ID}, ScheduledAt: &at}))(t)
	wantAPIError(t, c.RetryPost(ctx, sched.ID, false), http.StatusConflict, "no failed target")

	failed := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "failed once", SocialProfileIDs: []string{feed.ID}, ScheduledAt: &at}))(t)
	s.setTargetStates(t, failed.ID, herald.TargetFailed)
	noErr(t, c.RetryPost(ctx, failed.ID, false))
	if g := check(c.GetPost(ctx, failed.ID))(t); !slices.Contains(queued, g.SocialProfiles[0].State) || g.SocialProfiles[0].ErrorMessage != nil {
		t.Errorf("after retry: %+v, want the target queued again", g.SocialProfiles[0])
	}

	unsure := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "maybe posted", SocialProfileIDs: []string{feed.ID}, ScheduledAt: &at}))(t)
	s.setTargetStates(t, unsure.ID, herald.TargetNeedsAttention)
	wantAPIError(t, c.RetryPost(ctx, unsure.ID, false), http.StatusConflict, "confirm")
	wantStatus(t, "retry bad JSON", s.raw(t, "POST", "/post/"+unsure.ID+"/retry", s.adminKey, `{"confirm":`), http.StatusBadRequest, "body")
	wantStatus(t, "retry confirm a string", s.raw(t, "POST", "/post/"+unsure.ID+"/retry", s.adminKey, `{"confirm":"yes"}`), http.StatusBadRequest, "confirm")
	noErr(t, c.RetryPost(ctx, unsure.ID, true))

	// A post being published cannot be published again.
	busy := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "busy", SocialProfileIDs: []string{feed.ID}, ScheduledAt: &at}))(t)
	s.setTargetStates(t, busy.ID, herald.TargetPublishing)
	wantAPIError(t, c.PublishPost(ctx, busy.ID), http.StatusConflict, busy.ID)
	wantAPIError(t, c.RetryPost(ctx, busy.ID, true), http.StatusConflict, busy.ID)
}

// wantMedia checks that a creative's URL serves the file, with its type.
func wantMedia(t *testing.T, url, contentType string) {
	t.Helper()
	a := rawURL(t, "GET", url, "", "")
	if a.status != http.StatusOK || a.header.Get("Content-Type") != contentType || len(a.body) == 0 {
		t.Errorf("GET %s = %d %s (%d bytes), want %s", url, a.status, a.header.Get("Content-Type"), len(a.body), contentType)
	}
}
