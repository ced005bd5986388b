package herald

import (
	"crypto/rand"
	"math/big"
)

// NewID returns a new opaque, URL-safe, unguessable id shaped like Ocoya's
// 25-character CUIDs: "c" followed by 24 base-36 characters (124 bits of
// randomness from crypto/rand).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("herald: crypto/rand failed: " + err.Error()) // cannot happen on supported systems
	}
	b[0] &= 0x0f // 124 bits: fits 24 base-36 digits (36^24 > 2^124)
	s := new(big.Int).SetBytes(b[:]).Text(36)
	out := make([]byte, 25)
	out[0] = 'c'
	for i := range 24 - len(s) {
		out[1+i] = '0'
	}
	copy(out[25-len(s):], s)
	return string(out)
}

// ValidID reports whether s looks like an id Herald could have issued (or
// an Ocoya-style id): 1 to 64 URL-safe characters.
func ValidID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
