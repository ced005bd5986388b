package integration

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// browser is a scripted web browser: one cookie jar for every site (as a
// real browser has; note that cookies do not separate ports, so Herald and
// GoToSocial on 127.0.0.1 see each other's cookies, as they would in a
// browser), redirects followed, forms submitted with the fields the page
// actually has, and the Origin header a browser sends with a form post.
type browser struct {
	t      *testing.T
	client *http.Client
	hops   []string // URLs redirected through during the current navigation
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t}
	b.client = &http.Client{
		Jar:     jar,
		Timeout: requestTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			// A browser sends no Origin on the GET that follows a
			// redirect; Go would copy the form post's.
			req.Header.Del("Origin")
			b.hops = append(b.hops, req.URL.String())
			return nil
		},
	}
	return b
}

// page is the document a navigation ended on.
type page struct {
	url    *url.URL
	status int
	body   string
	doc    *html.Node
	// hops are the URLs redirected through on the way here.
	hops []string
}

// String describes the page for failure messages.
func (p *page) String() string {
	body := p.body
	if len(body) > 3000 {
		body = body[:3000] + "..."
	}
	return fmt.Sprintf("%s (status %d, via %v):\n%s", p.url, p.status, p.hops, body)
}

// open navigates to rawURL.
func (b *browser) open(rawURL string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.navigate(req)
}

func (b *browser) navigate(req *http.Request) *page {
	b.t.Helper()
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	b.hops = nil
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("browser: %s %s: %v (redirected through %v)", req.Method, req.URL, err, b.hops)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		b.t.Fatalf("browser: read %s: %v", resp.Request.URL, err)
	}
	doc, err := html.Parse(strings.NewReader(string(raw)))
	if err != nil {
		b.t.Fatalf("browser: parse %s: %v", resp.Request.URL, err)
	}
	return &page{url: resp.Request.URL, status: resp.StatusCode, body: string(raw), doc: doc, hops: b.hops}
}

// expect fails the test unless the page is an HTML page with status 200 at
// the given path of the given origin (scheme://host).
func (p *page) expect(t *testing.T, origin, path string) {
	t.Helper()
	if p.status != http.StatusOK || p.url.Scheme+"://"+p.url.Host != origin || p.url.Path != path {
		t.Fatalf("browser: want %s%s with status 200; landed on %s", origin, path, p)
	}
}

// submit fills the form of p whose action is actionPath with fields and
// submits it as a browser does: every named input of the form is sent with
// its value (hidden fields such as CSRF tokens included), the fields given
// replace those values, and a field the form does not have fails the test
// (a person can only fill in what the page shows).
func (b *browser) submit(p *page, actionPath string, fields map[string]string) *page {
	b.t.Helper()
	form := findForm(p, actionPath)
	if form == nil {
		b.t.Fatalf("browser: no form with action %s on %s", actionPath, p)
	}
	values := url.Values{}
	var names []string
	walk(form, func(n *html.Node) {
		if n.DataAtom != atom.Input && n.DataAtom != atom.Textarea {
			return
		}
		name := attr(n, "name")
		if name == "" {
			return
		}
		switch strings.ToLower(attr(n, "type")) {
		case "submit", "button", "image", "reset", "file":
			return
		case "checkbox", "radio":
			if !hasAttr(n, "checked") {
				return
			}
		}
		names = append(names, name)
		values.Set(name, attr(n, "value"))
	})
	for k, v := range fields {
		if !slices.Contains(names, k) {
			b.t.Fatalf("browser: the form %s on %s has no field %q (it has %v)", actionPath, p.url, k, names)
		}
		values.Set(k, v)
	}
	action, err := p.url.Parse(attr(form, "action"))
	if err != nil {
		b.t.Fatalf("browser: form action %q on %s: %v", attr(form, "action"), p.url, err)
	}
	var req *http.Request
	if strings.EqualFold(attr(form, "method"), "post") {
		req, err = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", p.url.Scheme+"://"+p.url.Host)
			req.Header.Set("Referer", p.url.String())
		}
	} else {
		action.RawQuery = values.Encode()
		req, err = http.NewRequest(http.MethodGet, action.String(), nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return b.navigate(req)
}

// findForm returns the form of p whose action resolves to actionPath.
func findForm(p *page, actionPath string) *html.Node {
	var found *html.Node
	walk(p.doc, func(n *html.Node) {
		if found != nil || n.DataAtom != atom.Form {
			return
		}
		if u, err := p.url.Parse(attr(n, "action")); err == nil && u.Path == actionPath {
			found = n
		}
	})
	return found
}

// elementByID returns the element with the id, or nil.
func elementByID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

// walk calls f on n and every node below it, in document order.
func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == key })
}

// textOf returns the text inside n, as a reader sees it.
func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}
