package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Hasher fingerprints secret values so that two of them can be compared
// (did the password change between revisions?) without keeping them.
// It is keyed per project: a bare sha256 of a low-entropy password is one
// dictionary pass away from the password; an HMAC under a key that never
// leaves the machine is not.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher under key.
func NewHasher(key []byte) *Hasher { return &Hasher{key: append([]byte(nil), key...)} }

// Sum returns "hmac-sha256:<hex>" of v.
func (h *Hasher) Sum(v string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(v))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// KeySize is the length of a project's hashing key.
const KeySize = 32

// LoadOrCreateKey reads the hashing key at path, creating it (32 random
// bytes, mode 0600, its directory 0700) when it does not exist. A key
// file readable by others is refused: anyone who reads it can test
// guesses against the stored fingerprints.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another ferry made it first
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	return key, nil
}

func readKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key %s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key %s: mode %v is readable by others; chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key %s: %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}
