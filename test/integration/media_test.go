package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/heraldhq/herald/client"
)

// testImage is an image file a post carries, with what the networks should
// show of it.
type testImage struct {
	bytes         []byte
	mime          string
	width, height int
	alt           string
	// url is what the post's mediaUrls name: Herald's own URL after an
	// upload to the library, or a URL of the test's image server.
	url string
}

func (im testImage) sha256() [32]byte { return sha256.Sum256(im.bytes) }

// makeImage draws a width×height picture, different on every call (so no
// server can take it for one it already has), as PNG or JPEG.
func makeImage(t *testing.T, mime string, width, height int) testImage {
	t.Helper()
	seed := []byte(randomSuffix(t, 8))
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.Set(x, y, color.RGBA{R: uint8(x*4) ^ seed[0], G: uint8(y*4) ^ seed[1], B: seed[2] + uint8(x+y), A: 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch mime {
	case "image/png":
		err = png.Encode(&buf, img)
	case "image/jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	default:
		t.Fatalf("makeImage: unsupported %s", mime)
	}
	if err != nil {
		t.Fatal(err)
	}
	return testImage{bytes: buf.Bytes(), mime: mime, width: width, height: height}
}

// serveImage serves the image from a loopback web server of its own, as a
// user's image host would, and sets im.url to it.
func serveImage(t *testing.T, im *testImage, name string) {
	t.Helper()
	body := im.bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", im.mime)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	im.url = srv.URL + "/" + name
}

// uploadImage puts the image in the workspace's media library with its alt
// text (POST /media, multipart) and sets im.url to the URL Herald gives.
func uploadImage(t *testing.T, h *heraldServer, im *testImage, name string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("altText", im.alt); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(im.bytes)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.root+client.BasePath+"/media?"+url.Values{"workspaceId": {h.workspace}}.Encode(), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-API-Key", h.apiKey)
	resp, err := (&http.Client{Timeout: requestTimeout}).Do(req)
	if err != nil {
		t.Fatalf("POST /media: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /media: status %d, want 201: %s", resp.StatusCode, b)
	}
	var m struct {
		URL     string `json:"url"`
		MIME    string `json:"mime"`
		Width   int    `json:"width"`
		Height  int    `json:"height"`
		AltText string `json:"altText"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("POST /media: %v: %s", err, b)
	}
	if m.URL == "" || m.MIME != im.mime || m.Width != im.width || m.Height != im.height || m.AltText != im.alt {
		t.Fatalf("POST /media answered %s; want %s %dx%d with the alt text", b, im.mime, im.width, im.height)
	}
	im.url = m.URL
}
