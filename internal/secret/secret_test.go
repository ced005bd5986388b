package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func mustKey(t *testing.T) Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSealer(t *testing.T, keys ...Key) *Sealer {
	t.Helper()
	s, err := New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, mustKey(t))
	tests := []struct {
		name      string
		plaintext []byte
		ad        []byte
	}{
		{"token", []byte(`{"accessToken":"abc"}`), []byte("profile:42")},
		{"empty plaintext", []byte{}, []byte("profile:1")},
		{"no associated data", []byte("x"), nil},
		{"binary", bytes.Repeat([]byte{0, 0xff}, 1000), []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct, err := s.Seal(tt.plaintext, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.plaintext) > 4 && bytes.Contains(ct, tt.plaintext) {
				t.Error("ciphertext contains the plaintext")
			}
			pt, err := s.Open(ct, tt.ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(pt, tt.plaintext) {
				t.Errorf("Open = %q, want %q", pt, tt.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, mustKey(t))
	a, _ := s.Seal([]byte("same"), []byte("ad"))
	b, _ := s.Seal([]byte("same"), []byte("ad"))
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical")
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, mustKey(t))
	ct, err := s.Seal([]byte("webhook url"), []byte("profile:7"))
	if err != nil {
		t.Fatal(err)
	}
	// Flip every byte position in turn: none may open, and none may open
	// to something else.
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := s.Open(bad, []byte("profile:7")); err == nil {
			t.Fatalf("byte %d flipped: Open succeeded", i)
		}
	}
	for _, n := range []int{0, 1, header, overhead - 1, len(ct) - 1} {
		if _, err := s.Open(ct[:n], []byte("profile:7")); !errors.Is(err, ErrCorrupt) {
			t.Errorf("truncated to %d: err = %v, want ErrCorrupt", n, err)
		}
	}
}

func TestOpenWrongAssociatedData(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, mustKey(t))
	ct, _ := s.Seal([]byte("token"), []byte("profile:1"))
	for _, ad := range [][]byte{[]byte("profile:2"), nil, []byte("profile:1 ")} {
		if _, err := s.Open(ct, ad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Open with ad %q: err = %v, want ErrCorrupt", ad, err)
		}
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t), mustKey(t)
	old := mustSealer(t, oldKey)
	ad := []byte("profile:9")
	ct, _ := old.Seal([]byte("refresh token"), ad)

	rotating := mustSealer(t, newKey, oldKey)
	pt, err := rotating.Open(ct, ad)
	if err != nil || string(pt) != "refresh token" {
		t.Fatalf("old ciphertext with rotated sealer: %q, %v", pt, err)
	}
	if !rotating.NeedsReseal(ct) {
		t.Error("NeedsReseal(old ciphertext) = false")
	}
	fresh, _ := rotating.Seal([]byte("x"), ad)
	if id, _ := KeyID(fresh); id != newKey.ID() {
		t.Errorf("new seal under key %s, want the new key %s", id, newKey.ID())
	}
	if rotating.NeedsReseal(fresh) {
		t.Error("NeedsReseal(new ciphertext) = true")
	}

	resealed, err := rotating.Reseal(ct, ad)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyID(resealed); id != newKey.ID() {
		t.Errorf("resealed under %s, want %s", id, newKey.ID())
	}
	again, err := rotating.Reseal(resealed, ad)
	if err != nil || !bytes.Equal(again, resealed) {
		t.Errorf("Reseal of an up-to-date ciphertext changed it (err %v)", err)
	}

	// Once the old key is dropped, only the resealed value opens.
	newOnly := mustSealer(t, newKey)
	if _, err := newOnly.Open(ct, ad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old ciphertext without old key: err = %v, want ErrUnknownKey", err)
	}
	if pt, err := newOnly.Open(resealed, ad); err != nil || string(pt) != "refresh token" {
		t.Errorf("resealed with new key only: %q, %v", pt, err)
	}
	if _, err := rotating.Reseal(ct, []byte("profile:10")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Reseal with wrong ad: err = %v", err)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	t.Parallel()
	if _, err := New(); err == nil {
		t.Error("New() with no keys succeeded")
	}
	if _, err := New(Key{}); err == nil {
		t.Error("New(zero Key) succeeded")
	}
	if _, err := NewKey(make([]byte, 16)); err == nil {
		t.Error("NewKey(16 bytes) succeeded")
	}
}

func TestKeyNeverPrintsItsBytes(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, k.Encode()) || strings.Contains(s, hex.EncodeToString(k.secret[:])) {
			t.Errorf("formatted key %q contains the key", s)
		}
		if !strings.Contains(s, k.ID()) {
			t.Errorf("formatted key %q does not name its id", s)
		}
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xab, 0x01, 0xfe, 0x7f}, 8)
	want, _ := NewKey(raw)
	good := []struct {
		name string
		in   string
	}{
		{"hex", hex.EncodeToString(raw)},
		{"hex upper", strings.ToUpper(hex.EncodeToString(raw))},
		{"base64", base64.StdEncoding.EncodeToString(raw)},
		{"base64 raw", base64.RawStdEncoding.EncodeToString(raw)},
		{"base64 url", base64.URLEncoding.EncodeToString(raw)},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(raw)},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(raw) + "\n"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID() != want.ID() || k.Encode() != want.Encode() {
				t.Errorf("ParseKey(%q) = %v, want %v", tt.in, k, want)
			}
		})
	}
	bad := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", "empty"},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:16]), "16 bytes"},
		{"long hex", hex.EncodeToString(append(raw, 1)), "bytes"},
		{"garbage", "not a key at all!", "neither base64 nor hex"},
		{"password", "hunter2", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKey(tt.in)
			if err == nil {
				t.Fatalf("ParseKey(%q) succeeded", tt.in)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q repeats the input", err)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %04o, want 0600", perm)
		}
		di, _ := os.Stat(filepath.Dir(path))
		if perm := di.Mode().Perm(); perm != 0o700 {
			t.Errorf("key directory mode %04o, want 0700", perm)
		}
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID() != k2.ID() {
		t.Errorf("second load gave key %s, first %s", k2.ID(), k1.ID())
	}
	// The file holds the key in the form ParseKey reads.
	b, _ := os.ReadFile(path)
	if k, err := ParseKey(string(b)); err != nil || k.ID() != k1.ID() {
		t.Errorf("file content does not parse to the key: %v", err)
	}
}

func TestLoadOrCreateKeyFileConcurrentStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent starts got different keys: %v", ids)
		}
	}
}

func TestLoadKeyFileRefusesLoosePermissions(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	k := mustKey(t)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644, 0o666} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(k.Encode()), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKeyFile(path)
			if err == nil {
				t.Fatalf("mode %04o accepted", mode)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("error %q does not say how to fix it", err)
			}
			if strings.Contains(err.Error(), k.Encode()) {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
}

func TestLoadKeyFileRejectsBadContent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad key file: err = %v, want an error naming the file", err)
	}
	dir := t.TempDir()
	if _, err := LoadOrCreateKeyFile(dir); err == nil {
		t.Error("a directory was accepted as a key file")
	}
}

func TestKeyIDOfCorruptInput(t *testing.T) {
	t.Parallel()
	if _, err := KeyID([]byte{2, 3}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("KeyID(junk) err = %v", err)
	}
}
