package blackbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/heraldhq/herald/client"
)

// ignoreStamps leaves out the fields the server sets.
var ignoreStamps = cmpopts.IgnoreFields(client.BrandKit{}, "ID", "WorkspaceID", "CreatedAt", "UpdatedAt")

func testBrandKits(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	wantEmptyList(t, s, "/brand-kits?workspaceId="+ws)

	a := s.raw(t, "POST", "/brand-kits?workspaceId="+ws, s.adminKey,
		`{"name":"Acme","description":"Warm, plain words.","colors":["#1A2B3C","#fff"],"fonts":["Inter"],"logoUrl":"https://acme.example/logo.png","doWords":["craft"],"dontWords":["synergy"]}`)
	wantStatus(t, "POST /brand-kits", a, http.StatusCreated)
	var kit client.BrandKit
	if err := json.Unmarshal(a.body, &kit); err != nil {
		t.Fatal(err)
	}
	want := client.BrandKit{Name: "Acme", Description: "Warm, plain words.", Colors: []string{"#1A2B3C", "#fff"}, Fonts: []string{"Inter"},
		LogoURL: "https://acme.example/logo.png", DoWords: []string{"craft"}, DontWords: []string{"synergy"}}
	if diff := cmp.Diff(want, kit, ignoreStamps); diff != "" {
		t.Errorf("created brand kit (-want +got):\n%s", diff)
	}
	if kit.ID == "" || kit.WorkspaceID != ws || !kit.CreatedAt.Equal(kit.UpdatedAt) {
		t.Errorf("created brand kit = %+v, want an id, workspace %s and createdAt = updatedAt", kit, ws)
	}
	if got := check(c.BrandKit(ctx, ws, kit.ID))(t); !cmp.Equal(*got, kit) {
		t.Errorf("BrandKit = %+v, want %+v", got, kit)
	}

	upd := check(c.UpdateBrandKit(ctx, ws, kit.ID, client.BrandKitPatch{Name: ptr("Acme Inc"), Colors: &[]string{}}))(t)
	want.Name, want.Colors = "Acme Inc", []string{}
	if diff := cmp.Diff(want, *upd, ignoreStamps); diff != "" {
		t.Errorf("updated brand kit (-want +got):\n%s", diff)
	}
	if upd.ID != kit.ID || !upd.CreatedAt.Equal(kit.CreatedAt) || upd.UpdatedAt.Before(kit.UpdatedAt) {
		t.Errorf("updated brand kit stamps = %v/%v, created %v/%v", upd.CreatedAt, upd.UpdatedAt, kit.CreatedAt, kit.UpdatedAt)
	}
	// A minimal kit gets empty lists, not nulls.
	min := check(c.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "Plain"}))(t)
	a = s.raw(t, "GET", "/brand-kits/"+min.ID+"?workspaceId="+ws, s.adminKey, "")
	for _, f := range []string{`"colors":[]`, `"fonts":[]`, `"doWords":[]`, `"dontWords":[]`, `"description":""`, `"logoUrl":""`} {
		if !strings.Contains(string(a.body), f) {
			t.Errorf("minimal brand kit %s lacks %s", a.body, f)
		}
	}

	list := check(c.BrandKits(ctx, ws))(t)
	if len(list) != 2 {
		t.Errorf("BrandKits = %+v, want 2", list)
	}
	noErr(t, c.DeleteBrandKit(ctx, ws, kit.ID))
	_, err := c.BrandKit(ctx, ws, kit.ID)
	wantAPIError(t, err, http.StatusNotFound)
	wantAPIError(t, c.DeleteBrandKit(ctx, ws, kit.ID), http.StatusNotFound)
	_, err = c.UpdateBrandKit(ctx, ws, kit.ID, client.BrandKitPatch{Name: ptr("x")})
	wantAPIError(t, err, http.StatusNotFound)
	if list := check(c.BrandKits(ctx, ws))(t); len(list) != 1 || list[0].ID != min.ID {
		t.Errorf("BrandKits after delete = %+v, want only %s", list, min.ID)
	}
}

func testHashtagLibraries(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	wantEmptyList(t, s, "/hashtag-libraries?workspaceId="+ws)

	a := s.raw(t, "POST", "/hashtag-libraries?workspaceId="+ws, s.adminKey, `{"name":"Launch","hashtags":["launch","#Go","#go","café_2"]}`)
	wantStatus(t, "POST /hashtag-libraries", a, http.StatusCreated)
	var lib client.HashtagLibrary
	json.Unmarshal(a.body, &lib)
	if lib.ID == "" || lib.Name != "Launch" || lib.WorkspaceID != ws || !cmp.Equal(lib.Hashtags, []string{"#launch", "#Go", "#café_2"}) {
		t.Errorf("created hashtag library = %+v, want #launch #Go #café_2 (leading # added, duplicates dropped)", lib)
	}
	if got := check(c.HashtagLibrary(ctx, ws, lib.ID))(t); !cmp.Equal(*got, lib) {
		t.Errorf("HashtagLibrary = %+v, want %+v", got, lib)
	}
	upd := check(c.UpdateHashtagLibrary(ctx, ws, lib.ID, client.HashtagLibraryPatch{Hashtags: &[]string{"one", "#two"}}))(t)
	if upd.Name != "Launch" || !cmp.Equal(upd.Hashtags, []string{"#one", "#two"}) {
		t.Errorf("updated hashtag library = %+v, want Launch with #one #two", upd)
	}
	if got := check(c.HashtagLibraries(ctx, ws))(t); len(got) != 1 || !cmp.Equal(got[0], *upd) {
		t.Errorf("HashtagLibraries = %+v, want [%+v]", got, upd)
	}
	noErr(t, c.DeleteHashtagLibrary(ctx, ws, lib.ID))
	_, err := c.HashtagLibrary(ctx, ws, lib.ID)
	wantAPIError(t, err, http.StatusNotFound)
	wantEmptyList(t, s, "/hashtag-libraries?workspaceId="+ws)
}

func testStudioTemplates(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	wantEmptyList(t, s, "/studio-templates?workspaceId="+ws)

	a := s.raw(t, "POST", "/studio-templates?workspaceId="+ws, s.adminKey, `{"name":"Square","description":"Quote card","thumbnailUrl":"https://cdn.example/sq.png","width":1080,"height":1080}`)
	wantStatus(t, "POST /studio-templates", a, http.StatusCreated)
	var tpl client.StudioTemplate
	json.Unmarshal(a.body, &tpl)
	if tpl.ID == "" || tpl.Name != "Square" || tpl.Description != "Quote card" || tpl.ThumbnailURL != "https://cdn.example/sq.png" || tpl.Width != 1080 || tpl.Height != 1080 || tpl.WorkspaceID != ws {
		t.Errorf("created studio template = %s", a.body)
	}
	if got := check(c.StudioTemplate(ctx, ws, tpl.ID))(t); !cmp.Equal(*got, tpl) {
		t.Errorf("StudioTemplate = %+v, want %+v", got, tpl)
	}
	upd := check(c.UpdateStudioTemplate(ctx, ws, tpl.ID, client.StudioTemplatePatch{Height: ptr(1350), Name: ptr("Portrait")}))(t)
	if upd.Name != "Portrait" || upd.Width != 1080 || upd.Height != 1350 || upd.ThumbnailURL != tpl.ThumbnailURL {
		t.Errorf("updated studio template = %+v", upd)
	}
	if got := check(c.StudioTemplates(ctx, ws))(t); len(got) != 1 || !cmp.Equal(got[0], *upd) {
		t.Errorf("StudioTemplates = %+v, want [%+v]", got, upd)
	}
	noErr(t, c.DeleteStudioTemplate(ctx, ws, tpl.ID))
	_, err := c.StudioTemplate(ctx, ws, tpl.ID)
	wantAPIError(t, err, http.StatusNotFound)
	wantEmptyList(t, s, "/studio-templates?workspaceId="+ws)
}

// testAssetErrors sends the three kinds of assets every malformed body and
// every foreign id.
func testAssetErrors(t *testing.T, s *server) {
	c := s.admin(t)
	ws := s.newWorkspace(t)
	other := s.newWorkspace(t) // the admin's too: ids of one workspace are not found in the other
	stranger := s.initUser(t, "assets-"+s.name+"@example.com")
	ctx := t.Context()
	ids := map[string]string{
		"/brand-kits":        check(c.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "K"}))(t).ID,
		"/hashtag-libraries": check(c.CreateHashtagLibrary(ctx, ws, client.HashtagLibraryInput{Name: "H"}))(t).ID,
		"/studio-templates":  check(c.CreateStudioTemplate(ctx, ws, client.StudioTemplateInput{Name: "S"}))(t).ID,
	}

	bodies := map[string][]struct{ name, body, field string }{
		"/brand-kits": {
			{"bad color", `{"name":"x","colors":["red"]}`, "colors[0]"},
			{"colors of the wrong type", `{"name":"x","colors":"#fff"}`, "colors"},
			{"bad logo URL", `{"name":"x","logoUrl":"javascript:alert(1)"}`, "logoUrl"},
			{"empty font", `{"name":"x","fonts":[" "]}`, "fonts[0]"},
			{"long description", `{"name":"x","description":"` + strings.Repeat("d", 5001) + `"}`, "description"},
		},
		"/hashtag-libraries": {
			{"bad hashtag", `{"name":"x","hashtags":["no spaces"]}`, "hashtags[0]"},
			{"empty hashtag", `{"name":"x","hashtags":["#"]}`, "hashtags[0]"},
			{"hashtags of the wrong type", `{"name":"x","hashtags":[1]}`, "hashtags"},
		},
		"/studio-templates": {
			{"negative width", `{"name":"x","width":-1}`, "width"},
			{"huge height", `{"name":"x","height":100000}`, "height"},
			{"width not an integer", `{"name":"x","width":1.5}`, "width"},
			{"width a string", `{"name":"x","width":"10"}`, "width"},
			{"bad thumbnail", `{"name":"x","thumbnailUrl":"/relative.png"}`, "thumbnailUrl"},
		},
	}
	common := []struct{ name, body, field string }{
		{"missing name", `{}`, "name"},
		{"blank name", `{"name":"   "}`, "name"},
		{"name of the wrong type", `{"name":["x"]}`, "name"},
		{"unknown field", `{"name":"x","nope":1}`, "nope"},
		{"bad JSON", `{"name":"x"`, "body"},
		{"not an object", `["name"]`, "body"},
		{"empty body", ``, "body"},
		{"trailing data", `{"name":"x"}{}`, "body"},
	}
	for path, id := range ids {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			t.Parallel()
			for _, tt := range append(common, bodies[path]...) {
				wantStatus(t, "POST "+path+" "+tt.name, s.raw(t, "POST", path+"?workspaceId="+ws, s.adminKey, tt.body), http.StatusBadRequest, tt.field)
				if tt.field != "name" && tt.name != "empty body" {
					// The same rules hold for PATCH.
					wantStatus(t, "PATCH "+path+" "+tt.name, s.raw(t, "PATCH", path+"/"+id+"?workspaceId="+ws, s.adminKey, tt.body), http.StatusBadRequest, tt.field)
				}
			}
			wantStatus(t, "PATCH blank name", s.raw(t, "PATCH", path+"/"+id+"?workspaceId="+ws, s.adminKey, `{"name":""}`), http.StatusBadRequest, "name")

			for _, m := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"name":"y"}`}, {"DELETE", ""}} {
				for _, q := range []struct {
					name, path string
					status     int
				}{
					{"in another workspace", path + "/" + id + "?workspaceId=" + other, http.StatusNotFound},
					{"in another user's workspace", path + "/" + id + "?workspaceId=" + stranger.WorkspaceID, http.StatusNotFound},
					{"unknown id", path + "/cxxxxxxxxxxxxxxxxxxxxxxxx?workspaceId=" + ws, http.StatusNotFound},
					{"odd id", path + "/x%27y?workspaceId=" + ws, http.StatusNotFound},
					{"without workspace", path + "/" + id, http.StatusBadRequest},
				} {
					wantStatus(t, m.method+" "+q.name, s.raw(t, m.method, q.path, s.adminKey, m.body), q.status)
				}
			}
			// The stranger cannot list or create in the workspace either.
			wantStatus(t, "list by a stranger", s.raw(t, "GET", path+"?workspaceId="+ws, stranger.APIKey, ""), http.StatusNotFound)
			wantStatus(t, "create by a stranger", s.raw(t, "POST", path+"?workspaceId="+ws, stranger.APIKey, `{"name":"z"}`), http.StatusNotFound)
			// The asset is untouched.
			wantStatus(t, "GET after the attempts", s.raw(t, "GET", path+"/"+id+"?workspaceId="+ws, s.adminKey, ""), http.StatusOK)
		})
	}
}

// wantEmptyList checks that a list endpoint answers a bare empty array.
func wantEmptyList(t *testing.T, s *server, path string) {
	t.Helper()
	a := s.raw(t, "GET", path, s.adminKey, "")
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "[]" {
		t.Errorf("GET %s = %d %s, want []", path, a.status, a.body)
	}
}
