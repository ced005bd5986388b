// Package secret seals credentials at rest with AES-256-GCM.
//
// Every ciphertext starts with a version byte and the id of the key that
// sealed it, so keys can rotate: a Sealer seals with its first key and opens
// with any of its keys, and a rotation command re-seals whatever an old key
// sealed (see Sealer.Reseal). The associated data binds a ciphertext to its
// row (a profile id): a ciphertext copied onto another row does not open.
//
// Keys come from HERALD_SECRET_KEY (ParseKey) or from a key file that Herald
// creates in its data directory with mode 0600 (LoadOrCreateKeyFile).
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the size of an AES-256 key in bytes.
const KeySize = 32

// format1 is the version byte of the only ciphertext format:
// format1 | key id (8 bytes) | nonce (12 bytes) | GCM ciphertext and tag.
const format1 byte = 1

const (
	idSize    = 8
	nonceSize = 12
	tagSize   = 16
	header    = 1 + idSize
	overhead  = header + nonceSize + tagSize
)

// Errors returned by Open. They say what is wrong without saying anything
// about the key or the plaintext.
var (
	// ErrUnknownKey means the ciphertext was sealed by a key this Sealer
	// does not hold (a key was removed too early, or the wrong key file).
	ErrUnknownKey = errors.New("secret: sealed with a key that is not loaded")
	// ErrCorrupt means the ciphertext is malformed, was altered, or its
	// associated data differs from the one it was sealed with.
	ErrCorrupt = errors.New("secret: ciphertext is corrupt, altered or bound to other data")
)

// Key is one AES-256 key and its id. The id is derived from the key, so it
// needs no configuration and two copies of one key always agree on it. A Key
// never prints its bytes.
type Key struct {
	id     [idSize]byte
	secret [KeySize]byte
	valid  bool
}

// NewKey makes a Key from 32 bytes.
func NewKey(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("secret: a key is %d bytes, not %d", KeySize, len(b))
	}
	var k Key
	copy(k.secret[:], b)
	// The id is a hash of the key under a label, so it reveals nothing
	// useful about the key and never collides with another key in practice.
	sum := sha256.Sum256(append([]byte("herald secret key id\x00"), b...))
	copy(k.id[:], sum[:idSize])
	k.valid = true
	return k, nil
}

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("secret: generate key: %w", err)
	}
	return NewKey(b)
}

// ID returns the key's id in hex, safe to log and to show in a rotation
// report.
func (k Key) ID() string { return hex.EncodeToString(k.id[:]) }

// Encode returns the key in base64, the form ParseKey and key files read.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k.secret[:]) }

// String names the key by id only, so a Key logged by mistake leaks nothing.
func (k Key) String() string { return "secret.Key(" + k.ID() + ")" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Sealer seals with its first key and opens with any of its keys. It is safe
// for concurrent use.
type Sealer struct {
	primary Key
	aeads   map[[idSize]byte]cipher.AEAD
}

// New returns a Sealer that seals with keys[0] and opens with every key.
// Pass the new key first and the old ones after it while rotating.
func New(keys ...Key) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret: New needs at least one key")
	}
	s := &Sealer{primary: keys[0], aeads: make(map[[idSize]byte]cipher.AEAD, len(keys))}
	for i, k := range keys {
		if !k.valid {
			return nil, fmt.Errorf("secret: key %d is the zero Key; build keys with NewKey, ParseKey or LoadOrCreateKeyFile", i)
		}
		if _, dup := s.aeads[k.id]; dup {
			continue
		}
		block, err := aes.NewCipher(k.secret[:])
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		s.aeads[k.id] = aead
	}
	return s, nil
}

// PrimaryKeyID is the id of the key that seals.
func (s *Sealer) PrimaryKeyID() string { return s.primary.ID() }

// Seal encrypts plaintext under the primary key, bound to associatedData
// (which is not stored: Open must be given the same bytes). Each call uses a
// fresh random nonce; 2^32 seals per key keep GCM's nonce-collision risk
// negligible, far beyond the number of credentials Herald stores.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, header+nonceSize, overhead+len(plaintext))
	out[0] = format1
	copy(out[1:header], s.primary.id[:])
	if _, err := rand.Read(out[header : header+nonceSize]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	aead := s.aeads[s.primary.id]
	return aead.Seal(out, out[header:header+nonceSize], plaintext, additional(out[:header], associatedData)), nil
}

// Open decrypts a ciphertext made by Seal with any of the Sealer's keys and
// the same associated data.
func (s *Sealer) Open(ciphertext, associatedData []byte) ([]byte, error) {
	aead, err := s.aeadFor(ciphertext)
	if err != nil {
		return nil, err
	}
	nonce := ciphertext[header : header+nonceSize]
	pt, err := aead.Open(nil, nonce, ciphertext[header+nonceSize:], additional(ciphertext[:header], associatedData))
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}

// NeedsReseal reports whether ciphertext was sealed by a key other than the
// primary one, so a rotation command can skip rows already re-sealed.
func (s *Sealer) NeedsReseal(ciphertext []byte) bool {
	if len(ciphertext) < header || ciphertext[0] != format1 {
		return true
	}
	return !bytes.Equal(ciphertext[1:header], s.primary.id[:])
}

// Reseal opens ciphertext with whichever key sealed it and seals it again
// under the primary key. A ciphertext already under the primary key is
// returned unchanged after checking that it opens.
func (s *Sealer) Reseal(ciphertext, associatedData []byte) ([]byte, error) {
	pt, err := s.Open(ciphertext, associatedData)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	if !s.NeedsReseal(ciphertext) {
		return ciphertext, nil
	}
	return s.Seal(pt, associatedData)
}

// KeyID returns the id of the key that sealed ciphertext.
func KeyID(ciphertext []byte) (string, error) {
	if len(ciphertext) < overhead || ciphertext[0] != format1 {
		return "", ErrCorrupt
	}
	return hex.EncodeToString(ciphertext[1:header]), nil
}

func (s *Sealer) aeadFor(ciphertext []byte) (cipher.AEAD, error) {
	if len(ciphertext) < overhead || ciphertext[0] != format1 {
		return nil, ErrCorrupt
	}
	var id [idSize]byte
	copy(id[:], ciphertext[1:header])
	aead, ok := s.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, hex.EncodeToString(id[:]))
	}
	return aead, nil
}

// additional is GCM's additional data: the header (so the version and key id
// cannot be swapped) followed by the caller's associated data.
func additional(hdr, ad []byte) []byte {
	out := make([]byte, 0, len(hdr)+len(ad))
	out = append(out, hdr...)
	return append(out, ad...)
}
