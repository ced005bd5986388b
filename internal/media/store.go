package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned by Store.Open and Store.Stat for a key that is not
// stored.
var ErrNotFound = errors.New("media: blob not found")

// BlobInfo describes a stored blob.
type BlobInfo struct {
	// Key is the lower-case hex SHA-256 of the content.
	Key     string
	Size    int64
	ModTime time.Time
}

// Store keeps blobs under the SHA-256 of their content, so the same file
// uploaded twice is stored once and a key always names the same bytes.
// LocalStore and S3Store implement it; storetest-style conformance lives in
// store_test.go (testStore) and runs against both.
type Store interface {
	// Put stores everything r yields and returns its key and size. It hashes
	// while it writes; nothing is visible under the key until the content is
	// complete. Putting content that is already stored is cheap and succeeds.
	Put(ctx context.Context, r io.Reader) (BlobInfo, error)
	// Open returns the blob's content, which the caller must close.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, BlobInfo, error)
	// Stat returns the blob's size and modification time.
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Delete removes the blob; deleting a missing blob succeeds.
	Delete(ctx context.Context, key string) error
}

// ValidKey reports whether key has the form of a blob key (64 lower-case hex
// digits). Stores refuse anything else, so a key can never name a path.
func ValidKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func hexSum(h interface{ Sum([]byte) []byte }) string { return hex.EncodeToString(h.Sum(nil)) }

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
