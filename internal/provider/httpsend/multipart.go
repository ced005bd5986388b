package httpsend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/heraldhq/herald/internal/provider"
)

// Field is a non-file part of a multipart body.
type Field struct {
	Name, ContentType string
	Value             []byte
}

// File is a file part whose bytes come from Media.Open.
type File struct {
	Field, Filename, ContentType string
	Media                        provider.Media
}

// MultipartBody streams a multipart/form-data body: files are opened one
// after the other while the request is written, so a post with ten large
// files never sits in memory. When every file's size is known the body's
// length is too, and the request goes without chunked encoding.
type MultipartBody struct {
	contentType string
	length      int64 // -1 when a size is unknown
	r           io.Reader
	files       []*lazyFile
}

// NewMultipartBody lays out fields, then files, behind a random boundary.
// Nothing is opened yet; Close the body when the request is done, so that a
// file left open by a request cut short is closed.
func NewMultipartBody(ctx context.Context, fields []Field, files []File) (*MultipartBody, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, &provider.Error{Kind: provider.KindTransient, Message: "cannot build the upload", Err: err}
	}
	var seg strings.Builder
	w := multipart.NewWriter(&seg)
	if err := w.SetBoundary("herald" + hex.EncodeToString(b[:])); err != nil {
		return nil, &provider.Error{Kind: provider.KindTransient, Message: "cannot build the upload", Err: err}
	}
	mb := &MultipartBody{contentType: w.FormDataContentType()}
	var readers []io.Reader
	var length int64
	for _, f := range fields {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, f.Name))
		if f.ContentType != "" {
			h.Set("Content-Type", f.ContentType)
		}
		pw, _ := w.CreatePart(h)
		pw.Write(f.Value)
	}
	known := true
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, f.Field, f.Filename))
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		w.CreatePart(h)
		// Everything written so far precedes this file's bytes.
		readers = append(readers, strings.NewReader(seg.String()))
		length += int64(seg.Len())
		seg.Reset()
		lf := &lazyFile{ctx: ctx, media: f.Media}
		mb.files = append(mb.files, lf)
		readers = append(readers, lf)
		if f.Media.Size > 0 {
			length += f.Media.Size
		} else {
			known = false
		}
	}
	w.Close()
	readers = append(readers, strings.NewReader(seg.String()))
	length += int64(seg.Len())
	mb.r = io.MultiReader(readers...)
	mb.length = length
	if !known {
		mb.length = -1
	}
	return mb, nil
}

// ContentType is the body's Content-Type, boundary included.
func (mb *MultipartBody) ContentType() string { return mb.contentType }

// Len is the body's length in bytes, or -1 when a file's size is unknown.
func (mb *MultipartBody) Len() int64 { return mb.length }

// Read reads the body, opening each file when its turn comes.
func (mb *MultipartBody) Read(p []byte) (int, error) { return mb.r.Read(p) }

// Close closes any file still open (a request cut short).
func (mb *MultipartBody) Close() error {
	for _, f := range mb.files {
		f.close()
	}
	return nil
}

// lazyFile opens a medium on first read and closes it at EOF, checking that
// it held the announced number of bytes.
type lazyFile struct {
	ctx   context.Context
	media provider.Media
	rc    io.ReadCloser
	n     int64
	done  bool
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.rc == nil {
		if l.media.Open == nil {
			return 0, fmt.Errorf("media %s has no content", l.media.URL)
		}
		rc, err := l.media.Open(l.ctx)
		if err != nil {
			return 0, fmt.Errorf("open media: %w", err)
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	l.n += int64(n)
	if l.media.Size > 0 && l.n > l.media.Size {
		return n, fmt.Errorf("media is larger than its recorded size %d", l.media.Size)
	}
	if err == io.EOF {
		l.close()
		if l.media.Size > 0 && l.n != l.media.Size {
			return n, fmt.Errorf("media has %d bytes, not its recorded size %d", l.n, l.media.Size)
		}
	}
	return n, err
}

func (l *lazyFile) close() {
	if l.rc != nil {
		l.rc.Close()
		l.rc = nil
	}
	l.done = true
}

// Extension is the file-name extension uploads use for mimeType, or
// fallback for a type without one here. Networks read the type from the
// name of an uploaded file as well as from its Content-Type.
func Extension(mimeType, fallback string) string {
	switch mimeType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "video/mp4":
		return ".mp4"
	case "video/quicktime":
		return ".mov"
	case "video/webm":
		return ".webm"
	}
	return fallback
}
