package httpsend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
)

// medium is a provider.Media over data that records when it is opened and
// closed.
type medium struct {
	data           []byte
	opened, closed int
}

func (m *medium) media(size int64) provider.Media {
	return provider.Media{Kind: "image", MIME: "image/png", Size: size, URL: "https://herald.example/m",
		Open: func(context.Context) (io.ReadCloser, error) {
			m.opened++
			return &closer{Reader: bytes.NewReader(m.data), m: m}, nil
		}}
}

type closer struct {
	io.Reader
	m *medium
}

func (c *closer) Close() error { c.m.closed++; return nil }

// part is what a multipart reader found in a body.
type part struct {
	Name, Filename, ContentType, Data string
}

func readParts(t *testing.T, contentType string, body []byte) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, part{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: string(b)})
	}
}

func TestMultipartBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sizes      []int64 // recorded size of each file; 0 is unknown
		wantLength bool
	}{
		{name: "every size known", sizes: []int64{5, 3}, wantLength: true},
		{name: "a size unknown", sizes: []int64{5, 0}, wantLength: false},
		{name: "fields only", wantLength: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			contents := []string{"hello", "png"}
			var media []*medium
			var files []File
			want := []part{
				{Name: "payload_json", ContentType: "application/json", Data: `{"a":1}`},
				{Name: "chat_id", Data: "-100"},
			}
			for i, size := range tt.sizes {
				m := &medium{data: []byte(contents[i])}
				media = append(media, m)
				ct := "image/png"
				if i == 1 {
					ct = "" // defaults to application/octet-stream
				}
				name := "f" + string(rune('0'+i)) + Extension(ct, ".bin")
				files = append(files, File{Field: "files[" + string(rune('0'+i)) + "]", Filename: name, ContentType: ct, Media: m.media(size)})
				wantCT := ct
				if wantCT == "" {
					wantCT = "application/octet-stream"
				}
				want = append(want, part{Name: "files[" + string(rune('0'+i)) + "]", Filename: name, ContentType: wantCT, Data: contents[i]})
			}
			mb, err := NewMultipartBody(context.Background(), []Field{
				{Name: "payload_json", ContentType: "application/json", Value: []byte(`{"a":1}`)},
				{Name: "chat_id", Value: []byte("-100")},
			}, files)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range media {
				if m.opened != 0 {
					t.Errorf("file %d opened before the body was read", i)
				}
			}
			body, err := io.ReadAll(mb)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			mb.Close()
			if diff := cmp.Diff(want, readParts(t, mb.ContentType(), body)); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			wantLen := int64(len(body))
			if !tt.wantLength {
				wantLen = -1
			}
			if mb.Len() != wantLen {
				t.Errorf("Len = %d, want %d", mb.Len(), wantLen)
			}
			for i, m := range media {
				if m.opened != 1 || m.closed != 1 {
					t.Errorf("file %d opened %d and closed %d times, want once each", i, m.opened, m.closed)
				}
			}
		})
	}
}

func TestMultipartBodyChecksSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int64
		open    func(context.Context) (io.ReadCloser, error)
		wantErr string
	}{
		{name: "larger than recorded", size: 3, wantErr: "larger than its recorded size 3"},
		{name: "smaller than recorded", size: 9, wantErr: "media has 5 bytes, not its recorded size 9"},
		{name: "cannot open", size: 5, open: func(context.Context) (io.ReadCloser, error) { return nil, errors.New("disk gone") }, wantErr: "open media: disk gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := (&medium{data: []byte("hello")}).media(tt.size)
			if tt.open != nil {
				m.Open = tt.open
			}
			mb, err := NewMultipartBody(context.Background(), nil, []File{{Field: "file", Filename: "f.png", Media: m}})
			if err != nil {
				t.Fatal(err)
			}
			defer mb.Close()
			_, err = io.ReadAll(mb)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("read error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// A request cut short leaves a file open; Close closes it.
func TestMultipartBodyCloseClosesAnOpenFile(t *testing.T) {
	t.Parallel()
	m := &medium{data: bytes.Repeat([]byte("x"), 4096)}
	mb, err := NewMultipartBody(context.Background(), nil, []File{{Field: "file", Filename: "f", Media: m.media(4096)}})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	for m.opened == 0 {
		if _, err := mb.Read(buf); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if m.closed != 0 {
		t.Fatal("file closed before its end")
	}
	mb.Close()
	if m.closed != 1 {
		t.Errorf("closed %d times after Close, want 1", m.closed)
	}
}

func TestExtension(t *testing.T) {
	t.Parallel()
	tests := []struct{ mime, fallback, want string }{
		{"image/jpeg", ".bin", ".jpg"},
		{"video/quicktime", "", ".mov"},
		{"application/pdf", ".bin", ".bin"},
		{"application/pdf", "", ""},
	}
	for _, tt := range tests {
		if got := Extension(tt.mime, tt.fallback); got != tt.want {
			t.Errorf("Extension(%q, %q) = %q, want %q", tt.mime, tt.fallback, got, tt.want)
		}
	}
}
