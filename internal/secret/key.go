package secret

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseKey reads a key as HERALD_SECRET_KEY gives it: 32 bytes in hex (64
// characters) or in base64 (standard or URL alphabet, padded or not).
// Surrounding white space is ignored. The error never repeats the input.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("secret: the key is empty; give 32 random bytes in base64 or hex (for example: openssl rand -base64 32)")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return NewKey(b)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return Key{}, fmt.Errorf("secret: the key decodes to %d bytes, want %d; give 32 random bytes in base64 or hex (for example: openssl rand -base64 32)", len(b), KeySize)
		}
		return NewKey(b)
	}
	return Key{}, errors.New("secret: the key is neither base64 nor hex of 32 bytes (for example: openssl rand -base64 32)")
}

// LoadOrCreateKeyFile reads the key stored at path, creating the file with a
// new random key (mode 0600, its directory 0700) when it does not exist.
//
// It refuses a file that the group or others may read or write: a key file
// that leaked is a key that leaked, and saying so is better than using it.
func LoadOrCreateKeyFile(path string) (Key, error) {
	k, err := loadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, fmt.Errorf("secret: create key directory: %w", err)
	}
	k, err = GenerateKey()
	if err != nil {
		return Key{}, err
	}
	// O_EXCL: when two processes start at once, one creates the file and
	// the other reads what it wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadKeyFile(path)
	}
	if err != nil {
		return Key{}, fmt.Errorf("secret: create key file: %w", err)
	}
	_, werr := f.WriteString(k.Encode() + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("secret: write key file: %w", werr)
	}
	return k, nil
}

func loadKeyFile(path string) (Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("secret: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Key{}, fmt.Errorf("secret: key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return Key{}, fmt.Errorf("secret: key file %s has mode %04o, which lets the group or others use it; run chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("secret: key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}
