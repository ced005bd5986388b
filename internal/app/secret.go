package app

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane), enough to make offline guessing costly without making sign-in slow
// or memory-hungry on a small server.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}

const alphabet62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString returns n characters drawn uniformly from [0-9A-Za-z].
func randomString(n int) string {
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, c := range randomBytes(n) {
			if c < 248 { // 248 = 4*62: reject the rest to stay uniform
				out = append(out, alphabet62[c%62])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// APIKeyPrefix starts every API key, so that secret scanners and people
// recognise one.
const APIKeyPrefix = "hk_"

func newAPIKeySecret() string { return APIKeyPrefix + randomString(40) }

func newPassword() string { return randomString(20) }

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// SameToken compares two secrets in constant time.
func SameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
