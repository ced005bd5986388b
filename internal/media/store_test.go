package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// newS3Store starts an S3-compatible server (gofakes3, in memory) inside the
// test process and returns a store on a fresh bucket.
func newS3Store(t testing.TB) *S3Store {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	const bucket = "herald-media"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	s, err := NewS3Store(S3Config{
		Endpoint:        strings.TrimPrefix(srv.URL, "http://"),
		Bucket:          bucket,
		Region:          "us-east-1",
		AccessKeyID:     "test-access",
		SecretAccessKey: "test-secret",
		PathStyle:       true,
		Prefix:          "media/",
		TempDir:         t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func newLocalStore(t testing.TB) *LocalStore {
	t.Helper()
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLocalStore(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return newLocalStore(t) })
}

func TestS3Store(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return newS3Store(t) })
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// onlyReader hides every method but Read (an upload stream, not a file).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// testStore is the conformance suite every Store implementation passes.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("herald media "), 10_000)
	key := sum(content)

	t.Run("put then open, stat and seek", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for name, r := range map[string]io.Reader{"seekable": bytes.NewReader(content), "stream": onlyReader{bytes.NewReader(content)}} {
			bi, err := s.Put(ctx, r)
			if err != nil {
				t.Fatalf("Put (%s): %v", name, err)
			}
			if bi.Key != key || bi.Size != int64(len(content)) || bi.ModTime.IsZero() {
				t.Fatalf("Put (%s) = %+v, want key %s, size %d and a time", name, bi, key, len(content))
			}
		}
		st, err := s.Stat(ctx, key)
		if err != nil || st.Size != int64(len(content)) || st.Key != key {
			t.Fatalf("Stat = %+v, %v", st, err)
		}
		rc, bi, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if bi.Size != int64(len(content)) {
			t.Errorf("Open size = %d, want %d", bi.Size, len(content))
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("content differs (err %v)", err)
		}
		if _, err := rc.Seek(1000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 13)
		if _, err := io.ReadFull(rc, part); err != nil || !bytes.Equal(part, content[1000:1013]) {
			t.Errorf("after Seek(1000) read %q, %v; want %q", part, err, content[1000:1013])
		}
		end, err := rc.Seek(0, io.SeekEnd)
		if err != nil || end != int64(len(content)) {
			t.Errorf("Seek(0, end) = %d, %v; want %d", end, err, len(content))
		}
	})

	t.Run("partial put is never visible", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		boom := errors.New("upload dropped")
		r := io.MultiReader(bytes.NewReader(content[:5000]), &failingReader{err: boom})
		if _, err := s.Put(ctx, onlyReader{r}); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if _, err := s.Stat(ctx, sum(content[:5000])); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat of the partial content = %v, want ErrNotFound", err)
		}
	})

	t.Run("missing and invalid keys", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, k := range []string{key, "", "../../etc/passwd", strings.ToUpper(key), key[:63] + "g", key + "0"} {
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Stat(%q) = %v, want ErrNotFound", k, err)
			}
			if _, _, err := s.Open(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open(%q) = %v, want ErrNotFound", k, err)
			}
			if err := s.Delete(ctx, k); err != nil {
				t.Errorf("Delete(%q) = %v, want nil", k, err)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.Put(ctx, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("second Delete = %v, want nil", err)
		}
	})

	t.Run("empty blob", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		bi, err := s.Put(ctx, bytes.NewReader(nil))
		if err != nil || bi.Key != sum(nil) || bi.Size != 0 {
			t.Fatalf("Put(empty) = %+v, %v", bi, err)
		}
	})

	t.Run("concurrent puts of the same and different content", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := content
				if i%2 == 1 {
					b = []byte(fmt.Sprintf("blob %d", i))
				}
				bi, err := s.Put(ctx, onlyReader{bytes.NewReader(b)})
				if err == nil && bi.Key != sum(b) {
					err = fmt.Errorf("key %s, want %s", bi.Key, sum(b))
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		rc, _, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, _ := io.ReadAll(rc)
		if !bytes.Equal(got, content) {
			t.Error("content differs after concurrent puts")
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, onlyReader{bytes.NewReader(content)}); err == nil {
			t.Error("Put with a cancelled context succeeded")
		}
	})
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestLocalStoreModes checks that only Herald's user can read the media
// directory and its files: the owner may keep private drafts there.
func TestLocalStoreModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "media")
	s, err := NewLocalStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), strings.NewReader("private draft")); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil || files != 1 {
		t.Fatalf("walk: %v, %d files", err, files)
	}
}
