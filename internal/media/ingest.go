package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits bound what Ingest accepts. Zero fields take the defaults.
type Limits struct {
	// ImageMaxBytes caps PNG, JPEG and WebP files (default 5 MiB, as Ocoya).
	ImageMaxBytes int64
	// GIFMaxBytes caps GIF files (default ImageMaxBytes).
	GIFMaxBytes int64
	// VideoMaxBytes caps MP4 and QuickTime files (default 5 MiB).
	VideoMaxBytes int64
	// MaxPixels caps width × height of images (default 50 megapixels), so no
	// later decode (Derive) can be made to allocate gigabytes.
	MaxPixels int64
}

// DefaultMaxBytes is the default size cap for every type.
const DefaultMaxBytes = 5 << 20

// DefaultMaxPixels is the default pixel cap for images.
const DefaultMaxPixels = 50_000_000

func (l Limits) withDefaults() Limits {
	if l.ImageMaxBytes <= 0 {
		l.ImageMaxBytes = DefaultMaxBytes
	}
	if l.GIFMaxBytes <= 0 {
		l.GIFMaxBytes = l.ImageMaxBytes
	}
	if l.VideoMaxBytes <= 0 {
		l.VideoMaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	return l
}

// MaxBytes returns the size cap for an accepted MIME type.
func (l Limits) MaxBytes(mimeType string) int64 {
	l = l.withDefaults()
	switch {
	case mimeType == MIMEGIF:
		return l.GIFMaxBytes
	case KindOf(mimeType) == KindVideo:
		return l.VideoMaxBytes
	}
	return l.ImageMaxBytes
}

func capName(mimeType string) string {
	switch {
	case mimeType == MIMEGIF:
		return "GIF images"
	case KindOf(mimeType) == KindVideo:
		return "videos"
	}
	return "images"
}

// IngesterConfig configures an Ingester.
type IngesterConfig struct {
	// Store receives accepted files.
	Store Store
	// Fetcher downloads URLs; IngestURL needs it.
	Fetcher *Fetcher
	// Limits bound sizes (see Limits).
	Limits Limits
	// TempDir holds files while they are checked (default os.TempDir()).
	TempDir string
}

// Ingester accepts media files: it streams each to a temporary file while
// hashing and enforcing the size cap of its type, probes it, and stores it.
// It holds a fixed amount of memory per file, whatever the file's size.
type Ingester struct {
	store   Store
	fetcher *Fetcher
	limits  Limits
	tempDir string
}

// NewIngester returns an Ingester. It is safe for concurrent use.
func NewIngester(cfg IngesterConfig) *Ingester {
	return &Ingester{store: cfg.Store, fetcher: cfg.Fetcher, limits: cfg.Limits.withDefaults(), tempDir: cfg.TempDir}
}

// Limits returns the limits in force (defaults filled in).
func (in *Ingester) Limits() Limits { return in.limits }

// IngestURL downloads rawURL and ingests it. Errors the user can fix are
// *Error naming rawURL; other errors are Herald's (storage, cancellation).
func (in *Ingester) IngestURL(ctx context.Context, rawURL string) (*Info, error) {
	if in.fetcher == nil {
		return nil, errors.New("media: ingester has no fetcher")
	}
	dl, err := in.fetcher.Get(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer dl.Body.Close()
	info, err := in.ingest(ctx, dl.Body, dl.ContentLength)
	return info, withURL(err, rawURL)
}

// IngestReader ingests an upload. name (the upload's file name or form
// field) stands in for the URL in errors.
func (in *Ingester) IngestReader(ctx context.Context, name string, r io.Reader) (*Info, error) {
	info, err := in.ingest(ctx, r, -1)
	return info, withURL(err, name)
}

func (in *Ingester) ingest(ctx context.Context, r io.Reader, contentLength int64) (*Info, error) {
	r = ctxReader{ctx, r}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	head = head[:n]
	mimeType, ok := Sniff(head)
	if !ok {
		return nil, errorf(CodeUnsupportedType, nil, "not an allowed type: found %s (allowed: PNG, JPEG, GIF, WebP images and MP4, MOV videos)", mimeType)
	}
	limit := in.limits.MaxBytes(mimeType)
	if contentLength > limit {
		return nil, errorf(CodeTooLarge, nil, "too large: %s, over the %s limit for %s", formatBytes(contentLength), formatBytes(limit), capName(mimeType))
	}

	tmp, err := os.CreateTemp(in.tempDir, "herald-ingest-*")
	if err != nil {
		return nil, fmt.Errorf("media: create temporary file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head); err != nil {
		return nil, fmt.Errorf("media: write temporary file: %w", err)
	}
	buf := make([]byte, 32<<10)
	rest, err := io.CopyBuffer(w, io.LimitReader(r, limit-int64(n)+1), buf)
	if err != nil {
		var me *Error
		if errors.As(err, &me) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		// Anything else failing mid-copy is the source (a dropped upload) or
		// the disk; report the source's error as is.
		return nil, fmt.Errorf("media: read file: %w", err)
	}
	size := int64(n) + rest
	if size > limit {
		return nil, errorf(CodeTooLarge, nil, "too large: more than the %s limit for %s", formatBytes(limit), capName(mimeType))
	}

	info, err := Probe(tmp, size)
	if err != nil {
		return nil, err
	}
	if info.Kind == KindImage && info.Pixels() > in.limits.MaxPixels {
		return nil, errorf(CodeTooLarge, nil, "too large: %d×%d pixels, over the %d-megapixel limit", info.Width, info.Height, in.limits.MaxPixels/1_000_000)
	}
	info.SHA256 = hexSum(h)

	if bi, err := in.store.Stat(ctx, info.SHA256); err == nil && bi.Size == size {
		return info, nil // already stored: content addressing makes this exact
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("media: rewind temporary file: %w", err)
	}
	bi, err := in.store.Put(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if bi.Key != info.SHA256 || bi.Size != size {
		return nil, fmt.Errorf("media: stored blob %s (%d bytes) does not match the file %s (%d bytes)", bi.Key, bi.Size, info.SHA256, size)
	}
	return info, nil
}
