package telegram

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

// formField is a non-file part of a multipart body.
type formField struct {
	name, contentType string
	value             []byte
}

// filePart is a file part whose bytes come from Media.Open.
type filePart struct {
	field, filename, contentType string
	media                        provider.Media
}

// multipartBody streams a multipart/form-data body: files are opened one
// after the other while the request is written, so a post with ten large
// files never sits in memory. When every file's size is known the body's
// length is too, and the request goes without chunked encoding.
type multipartBody struct {
	contentType string
	length      int64 // -1 when a size is unknown
	r           io.Reader
	files       []*lazyFile
}

func newMultipartBody(ctx context.Context, fields []formField, files []filePart) (*multipartBody, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, &provider.Error{Kind: provider.KindTransient, Message: "cannot build the upload", Err: err}
	}
	var seg strings.Builder
	w := multipart.NewWriter(&seg)
	if err := w.SetBoundary("herald" + hex.EncodeToString(b[:])); err != nil {
		return nil, &provider.Error{Kind: provider.KindTransient, Message: "cannot build the upload", Err: err}
	}
	mb := &multipartBody{contentType: w.FormDataContentType()}
	var readers []io.Reader
	var length int64
	for _, f := range fields {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, f.name))
		if f.contentType != "" {
			h.Set("Content-Type", f.contentType)
		}
		pw, _ := w.CreatePart(h)
		pw.Write(f.value)
	}
	known := true
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, f.field, f.filename))
		ct := f.contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		w.CreatePart(h)
		// Everything written so far precedes this file's bytes.
		readers = append(readers, strings.NewReader(seg.String()))
		length += int64(seg.Len())
		seg.Reset()
		lf := &lazyFile{ctx: ctx, media: f.media}
		mb.files = append(mb.files, lf)
		readers = append(readers, lf)
		if f.media.Size > 0 {
			length += f.media.Size
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

func (mb *multipartBody) Read(p []byte) (int, error) { return mb.r.Read(p) }

// Close closes any file still open (a request cut short).
func (mb *multipartBody) Close() error {
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
