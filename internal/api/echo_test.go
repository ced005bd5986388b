package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
)

// echo is a network defined only in this test package, kept in memory. It
// proves that a network is one package: listed in networks() (api_test.go)
// and nowhere else, it is listed by the API and its document, connectable
// with its own credentials, validated by its own option rules and counter,
// and publishable through the real engine. docs/architecture.md points
// here as the example of adding a network.
type echo struct {
	mu    sync.Mutex
	posts map[string]echoPost // by PublishRequest.Key
}

// echoPost is one post the echo network holds.
type echoPost struct {
	Text    string
	Options map[string]string
}

// echoNetwork is echo's entry in the list of networks.
func echoNetwork() provider.Network {
	return provider.Network{
		Settings: echoSettings(),
		New: func(env provider.Env) (provider.Provider, error) {
			return &echo{posts: map[string]echoPost{}}, nil
		},
	}
}

func echoSettings() []provider.Setting {
	return []provider.Setting{{Flag: "echo-greeting", Env: "HERALD_ECHO_GREETING", Default: "hello", Help: "what echo answers"}}
}

func (*echo) Name() string { return "echo" }

// Describe says everything Herald needs to know about echo. Its counter
// counts an exclamation mark as 5, so a caption of 3 letters and 2 marks
// is 13 of its 12.
func (*echo) Describe() provider.Descriptor {
	return provider.Descriptor{
		ID:      "echo",
		Aliases: []string{"ohce"},
		Name:    "Echo Chamber",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "room", Required: true, Doc: "the room to echo into."},
		}},
		Options: map[string]provider.OptionRule{
			"tone": {Values: []string{"loud", "quiet"}, Doc: "how echo repeats the post"},
		},
		Rules: provider.Rules{
			Network:  "echo",
			MaxChars: 12,
			Count: func(s string) int {
				return len([]rune(s)) + 4*strings.Count(s, "!")
			},
			MixImagesAndVideos: true,
		},
		CountingNote: " (an exclamation mark counts 5)",
		Settings:     echoSettings(),
		CanFind:      true,
	}
}

func (*echo) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var body struct {
		Room string `json:"room"`
	}
	if err := json.Unmarshal(in, &body); err != nil {
		return nil, err
	}
	if body.Room == "closed" {
		return nil, provider.Errorf(provider.KindRejected, "403", "the room %q is closed", body.Room)
	}
	creds, _ := json.Marshal(body)
	return &provider.Account{ExternalID: body.Room, Name: "#" + body.Room, Credentials: creds}, nil
}

func (e *echo) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	return e.Describe().Rules, nil
}

func (e *echo) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.posts[req.Key] = echoPost{Text: req.Text, Options: req.Options}
	return &provider.Published{RemoteID: req.Key, URL: "https://echo.test/" + req.Key, PublishedAt: time.Now()}, nil
}

func (e *echo) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.posts[req.Key]; ok {
		return &provider.Published{RemoteID: req.Key, URL: "https://echo.test/" + req.Key}, nil
	}
	return nil, provider.ErrNotPublished
}

func (e *echo) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.posts, remoteID)
	return nil
}

// published returns what echo holds.
func (e *echo) published() []echoPost {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []echoPost
	for _, p := range e.posts {
		out = append(out, p)
	}
	return out
}

// TestEchoNetworkThroughTheAPI drives the echo network, which exists only in
// this test package, through the API and the real publishing engine.
func TestEchoNetworkThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000, withPublishing())
	ws := "?workspaceId=" + f.ws
	p, err := f.app.Provider("echo")
	if err != nil {
		t.Fatal(err)
	}
	network := p.(*echo)

	// Listed: the OpenAPI document's connect body names echo's fields, and
	// a post's options name echo's.
	doc, _ := json.Marshal(f.handler.OpenAPI())
	if !strings.Contains(string(doc), `"enum":["echo"]`) || !strings.Contains(string(doc), "the room to echo into.") {
		t.Errorf("the OpenAPI document lacks echo's connect body")
	}
	if !strings.Contains(string(doc), `"enum":["loud","quiet"]`) {
		t.Errorf("the OpenAPI document lacks echo's options")
	}

	// Connectable, with its own body, checked against its descriptor.
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"missing field", `{"provider": "echo"}`, 400, "room: is required to connect Echo Chamber"},
		{"foreign field", `{"provider": "echo", "room": "a", "webhookUrl": "https://x.test"}`, 400, "webhookUrl: unknown field; echo takes room"},
		{"field of the wrong type", `{"provider": "echo", "room": 7}`, 400, "room: must be a string"},
		{"refused by the network", `{"provider": "echo", "room": "closed"}`, 400, `Echo Chamber refused the credentials: the room \"closed\" is closed`},
	} {
		status, body, _ := f.do("POST", base+"/social-profiles"+ws, f.key, json.RawMessage(tc.body))
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: POST /social-profiles = %d %s, want %d %q", tc.name, status, body, tc.status, tc.want)
		}
	}
	var prof struct{ ID, Provider, Name string }
	json.Unmarshal(f.ok("POST", base+"/social-profiles"+ws, json.RawMessage(`{"provider": "OHCE", "room": "lobby"}`), 201), &prof)
	if prof.Provider != "echo" || prof.Name != "#lobby" {
		t.Fatalf("connected profile = %+v, want echo #lobby (connected by its alias)", prof)
	}
	var profiles []struct{ ID, Provider string }
	json.Unmarshal(f.ok("GET", base+"/social-profiles"+ws, nil, 200), &profiles)
	if len(profiles) != 1 || profiles[0].Provider != "echo" {
		t.Errorf("GET /social-profiles = %+v, want the echo profile", profiles)
	}

	// Validated: its option rules and its counter apply.
	post := func(caption string, options herald.PostOptions) map[string]any {
		return map[string]any{"caption": caption, "socialProfileIds": []string{prof.ID}, "options": options}
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"unknown option", post("hi", herald.PostOptions{"echo": {"volume": "11"}}), "options.echo.volume: unknown option; echo takes tone"},
		{"bad option value", post("hi", herald.PostOptions{"echo": {"tone": "shrill"}}), `options.echo.tone: \"shrill\" is not one of loud, quiet`},
		{"counted by echo", post("hey!!", nil), "the caption is 13 characters as Echo Chamber counts them; Echo Chamber allows 12 (an exclamation mark counts 5)"},
	} {
		status, body, _ := f.do("POST", base+"/post/validate"+ws, f.key, tc.body)
		if status != 400 || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: POST /post/validate = %d %s, want 400 %q", tc.name, status, body, tc.want)
		}
	}

	// Publishable, through the real engine (the fixture runs it).
	var created struct{ ID string }
	json.Unmarshal(f.ok("POST", base+"/post"+ws, post("hey!", herald.PostOptions{"echo": {"tone": "loud"}}), 201), &created)
	f.ok("POST", base+"/post/"+url.PathEscape(created.ID)+"/publish"+ws, nil, 200)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got struct {
			Status string
			Posts  []struct{ Provider string }
		}
		json.Unmarshal(f.ok("GET", base+"/post/"+created.ID+ws, nil, 200), &got)
		if got.Status == "POSTED" {
			if len(got.Posts) != 2 || got.Posts[1].Provider != "ECHO" {
				t.Errorf("posts[] = %+v, want GENERAL and ECHO", got.Posts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the post is %s after 15 s, want POSTED", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	held := network.published()
	if len(held) != 1 || held[0].Text != "hey!" || held[0].Options["tone"] != "loud" {
		t.Errorf("echo holds %+v, want one post \"hey!\" with tone loud", held)
	}
}
