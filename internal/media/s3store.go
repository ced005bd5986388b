package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config configures an S3Store for any S3-compatible service (AWS S3,
// MinIO, Cloudflare R2, Backblaze B2, Garage, ...).
type S3Config struct {
	// Endpoint is host[:port] without scheme ("s3.eu-west-1.amazonaws.com").
	Endpoint string
	Bucket   string
	Region   string
	// AccessKeyID and SecretAccessKey are the credentials; both empty means
	// anonymous access.
	AccessKeyID     string
	SecretAccessKey string
	// UseTLS selects https.
	UseTLS bool
	// PathStyle addresses the bucket as endpoint/bucket instead of
	// bucket.endpoint (needed by MinIO and most self-hosted servers).
	PathStyle bool
	// Prefix is prepended to every object name ("media/").
	Prefix string
	// TempDir holds spooled uploads whose size is not known in advance
	// (default os.TempDir()).
	TempDir string
	// Transport overrides the HTTP transport (custom CAs, tests).
	Transport http.RoundTripper
}

// S3Store keeps blobs as objects named Prefix+key in one bucket.
//
// Because the object name is the content's hash, Put must know the hash
// before it uploads: it hashes a seekable reader (an *os.File) in a first
// pass and rewinds it, and spools any other reader to a temporary file while
// hashing. Either way the upload is a single PUT of known length, streamed
// from disk, so memory does not grow with the blob.
type S3Store struct {
	client  *minio.Client
	bucket  string
	prefix  string
	tempDir string
}

var _ Store = (*S3Store)(nil)

// NewS3Store returns a store for cfg. It does not contact the service; call
// Check for that.
func NewS3Store(cfg S3Config) (*S3Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("media: S3 endpoint and bucket are required")
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("media: S3 client: %w", err)
	}
	return &S3Store{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, tempDir: cfg.TempDir}, nil
}

// Check verifies that the bucket exists and the credentials can reach it.
func (s *S3Store) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("media: S3 bucket %q: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("media: S3 bucket %q does not exist", s.bucket)
	}
	return nil
}

func (s *S3Store) object(key string) string { return s.prefix + key }

// Put implements Store.
func (s *S3Store) Put(ctx context.Context, r io.Reader) (BlobInfo, error) {
	body, size, key, cleanup, err := s.hashed(ctx, r)
	if err != nil {
		return BlobInfo{}, err
	}
	defer cleanup()
	if bi, err := s.Stat(ctx, key); err == nil && bi.Size == size {
		return bi, nil
	}
	_, err = s.client.PutObject(ctx, s.bucket, s.object(key), body, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		// One streamed PUT of known length: no part buffers in memory.
		DisableMultipart: size <= 5<<30,
		// minio-go's streaming signature sends an empty body without a
		// Content-Length, which S3 refuses; an empty body needs no chunks.
		DisableContentSha256: size == 0,
	})
	if err != nil {
		return BlobInfo{}, fmt.Errorf("media: S3 upload: %w", err)
	}
	return s.Stat(ctx, key)
}

// hashed returns a reader positioned at the content's start, its size and
// hash.
func (s *S3Store) hashed(ctx context.Context, r io.Reader) (io.Reader, int64, string, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			h := sha256.New()
			n, err := io.Copy(h, ctxReader{ctx, rs})
			if err != nil {
				return nil, 0, "", nil, fmt.Errorf("media: hash blob: %w", err)
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, 0, "", nil, fmt.Errorf("media: rewind blob: %w", err)
			}
			return io.LimitReader(rs, n), n, hexSum(h), func() {}, nil
		}
	}
	tmp, err := os.CreateTemp(s.tempDir, "herald-s3-put-*")
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("media: create temporary file: %w", err)
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("media: spool blob: %w", err)
	}
	return tmp, n, hexSum(h), cleanup, nil
}

// Open implements Store.
func (s *S3Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, BlobInfo, error) {
	if !ValidKey(key) {
		return nil, BlobInfo{}, ErrNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, BlobInfo{}, s3Err(err, "open")
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, BlobInfo{}, s3Err(err, "open")
	}
	return obj, BlobInfo{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Stat implements Store.
func (s *S3Store) Stat(ctx context.Context, key string) (BlobInfo, error) {
	if !ValidKey(key) {
		return BlobInfo{}, ErrNotFound
	}
	st, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return BlobInfo{}, s3Err(err, "stat")
	}
	return BlobInfo{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete implements Store.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s3Err(err, "delete"), ErrNotFound) {
			return nil
		}
		return s3Err(err, "delete")
	}
	return nil
}

func s3Err(err error, op string) error {
	resp := minio.ToErrorResponse(err)
	if resp.StatusCode == http.StatusNotFound || resp.Code == minio.NoSuchKey || strings.EqualFold(resp.Code, "NotFound") {
		return ErrNotFound
	}
	return fmt.Errorf("media: S3 %s: %w", op, err)
}
