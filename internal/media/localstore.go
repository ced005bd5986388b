package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LocalStore keeps blobs in a directory, fanned out as ab/cd/abcd...
// so no directory grows too large. Writes go to a temporary file in the same
// directory tree, are synced, then renamed into place, so a reader never sees
// a partial blob and a crash leaves at most a stray temporary file.
type LocalStore struct {
	dir string
}

var _ Store = (*LocalStore)(nil)

// NewLocalStore returns a store rooted at dir, creating it if needed.
func NewLocalStore(dir string) (*LocalStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("media: create store directory: %w", err)
	}
	return &LocalStore{dir: dir}, nil
}

func (s *LocalStore) path(key string) string {
	return filepath.Join(s.dir, key[0:2], key[2:4], key)
}

// Put implements Store.
func (s *LocalStore) Put(ctx context.Context, r io.Reader) (BlobInfo, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return BlobInfo{}, fmt.Errorf("media: create temporary file: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return BlobInfo{}, fmt.Errorf("media: write blob: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return BlobInfo{}, fmt.Errorf("media: sync blob: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return BlobInfo{}, fmt.Errorf("media: chmod blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return BlobInfo{}, fmt.Errorf("media: close blob: %w", err)
	}
	key := hexSum(h)
	final := s.path(key)
	if fi, err := os.Stat(final); err == nil && fi.Size() == n {
		return BlobInfo{Key: key, Size: n, ModTime: fi.ModTime()}, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return BlobInfo{}, fmt.Errorf("media: create blob directory: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return BlobInfo{}, fmt.Errorf("media: move blob into place: %w", err)
	}
	tmp = nil
	syncDir(filepath.Dir(final))
	fi, err := os.Stat(final)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("media: stat blob: %w", err)
	}
	return BlobInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// syncDir makes a rename durable; failure only weakens durability, so it is
// ignored (some filesystems refuse to sync directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Open implements Store.
func (s *LocalStore) Open(_ context.Context, key string) (io.ReadSeekCloser, BlobInfo, error) {
	if !ValidKey(key) {
		return nil, BlobInfo{}, ErrNotFound
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, BlobInfo{}, ErrNotFound
	}
	if err != nil {
		return nil, BlobInfo{}, fmt.Errorf("media: open blob: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, BlobInfo{}, fmt.Errorf("media: stat blob: %w", err)
	}
	return f, BlobInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Stat implements Store.
func (s *LocalStore) Stat(_ context.Context, key string) (BlobInfo, error) {
	if !ValidKey(key) {
		return BlobInfo{}, ErrNotFound
	}
	fi, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return BlobInfo{}, ErrNotFound
	}
	if err != nil {
		return BlobInfo{}, fmt.Errorf("media: stat blob: %w", err)
	}
	return BlobInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements Store.
func (s *LocalStore) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	err := os.Remove(s.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete blob: %w", err)
	}
	return nil
}
